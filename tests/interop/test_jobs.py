"""Jobs, workers and failures crossing between a Ruby fleet and ours on one Redis."""

from __future__ import annotations

import json
import socket

import pytest

import django_resque
from django_resque import failure, info, retry, unique
from django_resque.failure import api as failures_api
from django_resque.workers import all_workers
from tests.support import jobs

from .conftest import done, failures, ran, settle, wait_until


@pytest.fixture(scope="module")
def ruby_worker(start_ruby):
    """A Ruby worker on the ``ruby`` queue for the module."""
    return start_ruby("work", "ruby")


def test_python_enqueues_a_job_that_a_ruby_worker_runs(real_redis, ruby_worker):
    django_resque.enqueue_to("ruby", "RubyEcho", 7, "main", {"k": [1, None]})
    assert wait_until(lambda: ran(real_redis), what="the Ruby job") == [["RubyEcho", [7, "main", {"k": [1, None]}]]]


def test_ruby_enqueues_a_job_that_our_worker_runs(real_redis, ruby, start_worker):
    ruby.eval('Resque::Job.create("test", "tests.support.jobs.remember", "from ruby")')
    assert start_worker("--queues", "test", "--burst").wait() == 0
    assert [note["value"] for note in done(real_redis)] == ["from ruby"]


def test_payloads_are_byte_identical_but_for_our_id(real_redis, ruby):
    ruby.eval('Resque::Job.create("same", "Archive", 7, "caf\\u00e9 \\u2603", {"a" => [1.5, nil, true]})')
    handle = django_resque.enqueue_to("same", "Archive", 7, "café ☃", {"a": [1.5, None, True]})
    theirs, ours = real_redis.lrange("resque:queue:same", 0, -1)
    assert ours == theirs[:-1] + b',"id":"%s"}' % handle.id.encode()


def test_ruby_destroy_finds_our_jobs_by_class_not_by_exact_arguments(real_redis, ruby):
    """Ruby's destroy with arguments compares encoded bytes, which our id changes; by class it decodes."""
    jobs.remember.delay("gone")
    jobs.add.delay(1, 2, scale=3)
    assert ruby.eval('Resque::Job.destroy("test", "tests.support.jobs.add", 1, 2, {"scale" => 3})') == 0
    assert ruby.eval('Resque::Job.destroy("test", "tests.support.jobs.remember")') == 1
    assert ruby.eval('Resque::Job.destroy("test", "tests.support.jobs.add")') == 1
    assert real_redis.llen("resque:queue:test") == 0


def test_each_fleet_lists_the_others_workers(real_redis, ruby, ruby_worker, start_worker):
    ours = start_worker("--queues", "test")
    our_id = f"{socket.gethostname()}:{ours.pid}:test"
    ruby_id = f"{socket.gethostname()}:{ruby_worker.pid}:ruby"
    wait_until(lambda: our_id in ruby.eval("Resque.workers.map(&:to_s)"), what="Ruby to see our worker")
    real_redis.sadd("resque:workers", ruby_id)  # the test's empty Redis dropped it; Ruby registers at start only
    assert ruby_id in [worker.id for worker in all_workers()]
    assert ruby.eval(f'Resque::Worker.find("{our_id}").job') == {}


def test_resque_failure_requeue_retries_our_failure_with_its_keyword_arguments(real_redis, ruby, start_worker):
    jobs.scaled_until_flag.delay("flag:kw", scale=3)
    assert start_worker("--queues", "test", "--burst").wait() == 0
    assert [f["exception"] for f in failures(real_redis)] == ["Boom"]
    real_redis.set("flag:kw", 1)
    ruby.eval("Resque::Failure.requeue(0)")  # resque-web's Retry: rebuilds {"class","args"}
    assert start_worker("--queues", "test", "--burst").wait() == 0
    assert done(real_redis) == [{"flagged": "flag:kw", "scale": 3}]
    assert "retried_at" in failures(real_redis)[0]


def test_we_retry_a_ruby_failure_and_a_ruby_worker_runs_it(real_redis, ruby_worker):
    django_resque.enqueue_to("ruby", "RubyFail", "once")
    wait_until(lambda: failures(real_redis), what="the Ruby failure")
    [record] = failures(real_redis)
    assert (record["exception"], record["error"]) == ("ArgumentError", "ruby says no")
    failures_api.retry(0, real_redis.lindex("resque:failed", 0))
    wait_until(lambda: len(ran(real_redis)) == 2, what="the Ruby job run again")
    wait_until(lambda: len(failures(real_redis)) == 2, what="its second failure")  # nothing left in flight


def test_failed_means_what_ruby_means_after_clears_and_retries(real_redis, ruby, start_worker):
    for n in range(3):
        jobs.explode.delay(f"x{n}")
    assert start_worker("--queues", "test", "--burst").wait() == 0
    failures_api.remove(0, real_redis.lindex("resque:failed", 0))
    ruby.eval("Resque::Failure.remove(0)")
    assert info()["failed"] == ruby.eval("Resque.info[:failed]") == failure.backend().count() == 1
    assert info()["failed_total"] == 3  # the stat:failed counter, under its own name


def test_the_attempt_count_key_is_resque_retrys(ruby):
    for args in ([], [1, "a b"], [None, True, 1.5, 1e20, [1, [2]]], [{"k": 'v"#{x}', "n": None}, "é\n"]):
        literal = json.dumps(args).replace("\\", "\\\\").replace("'", "\\'")
        theirs = ruby.eval(f"RubyRetry.redis_retry_key(*JSON.parse('{literal}'))")
        assert retry.attempts_key("RubyRetry", args) == "resque:" + theirs


def test_ruby_and_python_workers_share_one_retry_count(real_redis, ruby_worker, start_worker):
    """RubyRetry runs on both fleets' workers (whichever pops it): 4 runs in all, not 4 each."""
    ours = start_worker("--queues", "ruby")
    our_id = f"{socket.gethostname()}:{ours.pid}:ruby"
    wait_until(lambda: real_redis.sismember("resque:workers", our_id), what="our worker registered")
    jobs.ruby_retry.delay("shared")

    def runs() -> int:
        return len([note for note in done(real_redis) if "ruby_retry" in note]) + len(ran(real_redis))

    wait_until(lambda: runs() >= 4, what="four runs")
    settle(1.0)  # time for a fifth run, if either side lost the count
    assert runs() == 4  # retry=3 here, @retry_limit = 3 there: one count, whoever ran which run
    assert not real_redis.exists(retry.attempts_key("RubyRetry", ["shared"]))


def test_a_ruby_worker_with_the_hook_releases_our_unique_lock(real_redis, ruby_worker):
    assert jobs.unique_echo.delay("once").enqueued is True
    assert jobs.unique_echo.delay("once").enqueued is False
    wait_until(lambda: ran(real_redis), what="the Ruby worker to run it")
    wait_until(lambda: not unique.is_locked(jobs.unique_echo, "once"), timeout=5, what="the lock released")
    assert jobs.unique_echo.delay("once").enqueued is True
