"""Ruby's resque-scheduler moving our delayed jobs and retries; both schedulers on one lock."""

from __future__ import annotations

import datetime as dt

import pytest

from django_resque import delayed, fetch, retry, unique
from tests.support import jobs

from .conftest import done, failures, settle, wait_until


@pytest.fixture(scope="module")
def ruby_scheduler(start_ruby):
    """Ruby's scheduler, polling every 0.2 s; it is master while no scheduler of ours runs."""
    return start_ruby("scheduler")


def test_a_retry_moved_by_ruby_keeps_its_attempt_count(real_redis, ruby_scheduler, start_worker):
    handle = jobs.gives_up.delay("counted")  # retry=2, backoff=1: three runs through the delayed queue
    worker = start_worker("--queues", "test")
    wait_until(lambda: failures(real_redis), timeout=20, what="the final failure")
    settle(1.5)  # time for a fourth run, if the count were lost
    assert [note["gives_up"] for note in done(real_redis)] == ["counted"] * 3
    [record] = failures(real_redis)
    assert record["attempts"] == 3 and record["payload"] == {"class": jobs.gives_up.name, "args": ["counted"]}
    assert not real_redis.exists(retry.attempts_key(jobs.gives_up.name, ["counted"]))
    # Ruby's scheduler moved the retry without the id: the job's status is the last thing known.
    assert fetch(handle.id).status == "retry scheduled"
    worker.stop()


def test_a_unique_job_moved_by_ruby_releases_its_lock(real_redis, ruby_scheduler, start_worker):
    assert jobs.unique_note.enqueue_in(1, "moved").enqueued is True
    assert jobs.unique_note.delay("moved").enqueued is False  # held while it waits
    start_worker("--queues", "test")
    wait_until(lambda: done(real_redis), timeout=15, what="the moved job to run")
    wait_until(lambda: not unique.is_locked(jobs.unique_note, "moved"), timeout=5, what="the lock released")
    assert jobs.unique_note.delay("moved").enqueued is True


def test_keyword_arguments_survive_a_move_by_ruby(real_redis, ruby_scheduler, start_worker):
    handle = jobs.scaled_until_flag.enqueue_in(1, "flag:moved", scale=4)
    real_redis.set("flag:moved", 1)
    start_worker("--queues", "test")
    assert wait_until(lambda: done(real_redis), timeout=15, what="the moved job") == [
        {"flagged": "flag:moved", "scale": 4}
    ]
    assert failures(real_redis) == []
    assert fetch(handle.id).status == "scheduled"  # moved by Ruby, which drops the id: ran, unrecorded


def test_ruby_finds_our_delayed_jobs_by_their_arguments(real_redis, ruby):
    """By decoded arguments (remove_delayed_selection); exact-bytes lookups miss our id."""
    jobs.add.enqueue_in(600, 1, 2, scale=3)
    jobs.remember.enqueue_in(600, "later")
    assert ruby.eval('Resque.remove_delayed_in_queue("tests.support.jobs.add", "test", 1, 2, {"scale" => 3})') == 0
    found = ruby.eval(
        'Resque.remove_delayed_selection("tests.support.jobs.add") { |args| args == [1, 2, {"scale" => 3}] }'
    )
    assert found == 1
    assert ruby.eval('Resque.remove_delayed_selection { |args| args == ["later"] }') == 1
    assert ruby.eval("Resque.count_all_scheduled_jobs") == 0


def test_our_lookups_by_call_find_ruby_and_python_copies(real_redis, ruby):
    """Ruby's copy (no id) by its exact bytes, ours (with an id) by decoded arguments; another call stays."""
    jobs.add.enqueue_in(600, 1, 2, scale=3)
    jobs.add.enqueue_in(600, 1, 2, scale=4)
    ruby.eval('Resque.enqueue_at_with_queue("test", Time.now + 900, "tests.support.jobs.add", 1, 2, {"scale" => 3})')
    assert len(delayed.scheduled_at(jobs.add, 1, 2, scale=3)) == 2
    assert delayed.remove_delayed(jobs.add, 1, 2, scale=3) == 2
    assert ruby.eval("Resque.count_all_scheduled_jobs") == 1
    assert delayed.remove_delayed(jobs.add, 1, 2, scale=4) == 1
    assert real_redis.keys("resque:delayed*") == [] and real_redis.keys("resque:timestamps:*") == []


def test_ruby_and_python_schedulers_share_the_master_lock(real_redis, ruby_scheduler, start_worker):
    """Both schedulers run; whichever is master moves each delayed job once, the other waits."""
    ours = start_worker("--interval", "0.2", "--lock-timeout", "2", command="resque_scheduler")
    start_worker("--queues", "test")
    now = dt.datetime.now(dt.UTC)
    for n in range(30):
        jobs.remember.enqueue_at(now + dt.timedelta(seconds=1 + n % 3), n)
    wait_until(lambda: len(done(real_redis)) >= 30, timeout=20, what="30 delayed jobs run")
    settle()
    assert sorted(note["value"] for note in done(real_redis)) == list(range(30))
    holder = real_redis.get("resque:resque:resque_scheduler_master_lock").decode()
    assert any(f":{pid}" in holder for pid in (ours.pid, ruby_scheduler.pid)), holder
    ours.stop()
