"""Bad input on a real worker: each ends as a clear failure record or a clear error, the
worker keeps working, and nothing runs that was not registered with ``@job``.

Already covered in tests/integration/worker/ (not repeated here): a non-JSON string and
non-UTF-8 bytes, a dotted path (``os.system``) as the class (test_worker.py::
test_unknown_names_and_malformed_payloads_fail_and_never_run); ``os._exit`` and SIGSEGV
in a job (test_a_job_that_exits_or_segfaults_becomes_a_failure); a job that never ends
(test_timeout_kills_the_child_and_records_why, test_no_fork_timeout_interrupts_the_job).
"""

from __future__ import annotations

import json

import pytest

import django_resque
from django_resque import keys
from django_resque.exceptions import ResqueConnectionError
from tests.integration.worker.conftest import done, failures
from tests.support import jobs

MODES = {"fork": (), "no-fork": ("--no-fork",)}


def push_raw(client, queue: str, *raws: bytes) -> None:
    """Push bytes as a job, as a careless client or a hand-typed redis-cli would."""
    client.sadd(keys.queues(), queue)
    client.rpush(keys.queue(queue), *raws)


def run_burst(start_worker, *args: str) -> None:
    worker = start_worker("--queues", "test", "--burst", *args)
    assert worker.wait() == 0, worker.output()


def assert_still_works_after(client) -> None:
    assert done(client)[-1] == {"value": "after", "pid": done(client)[-1]["pid"]}


@pytest.mark.parametrize("mode", MODES)
def test_json_that_is_not_a_job_object_fails_clearly(real_redis, start_worker, mode):
    # (A payload without "args" is a call without arguments, as in Ruby.)
    bad = [b"[1,2]", b'"text"', b"42", b"null", b'{"class":5,"args":[]}', b'{"args":[1]}']
    bad += [b'{"class":"tests.support.jobs.remember","args":"not a list"}']
    push_raw(real_redis, "test", *bad)
    jobs.remember.delay("after")
    run_burst(start_worker, *MODES[mode])
    recorded = failures(real_redis)
    assert [f["exception"] for f in recorded] == ["MalformedPayloadError"] * len(bad), recorded
    assert all(f["error"] for f in recorded)
    assert real_redis.get(keys.stat("failed")) == str(len(bad)).encode()
    assert_still_works_after(real_redis)


def test_unregistered_names_never_run(real_redis, start_worker, tmp_path):
    victim = tmp_path / "keep"
    victim.mkdir()
    django_resque.enqueue_to("test", "shutil.rmtree", str(victim))
    django_resque.enqueue_to("test", "NoSuchJob", 1)
    django_resque.enqueue_to("test", "tests.support.jobs.record", "not a job")  # a module function, not @job
    jobs.remember.delay("after")
    run_burst(start_worker)
    assert victim.exists()
    recorded = failures(real_redis)
    assert [f["exception"] for f in recorded] == ["UnknownJobError"] * 3
    assert "shutil.rmtree" in recorded[0]["error"]
    assert {"value": "not a job"} not in done(real_redis)
    assert_still_works_after(real_redis)


@pytest.mark.parametrize("mode", MODES)
def test_wrong_argument_count_is_a_failure(real_redis, start_worker, mode):
    push_raw(real_redis, "test", b'{"class":"tests.support.jobs.add","args":[1]}')
    push_raw(real_redis, "test", b'{"class":"tests.support.jobs.add","args":[1,2,3]}')
    jobs.remember.delay("after")
    run_burst(start_worker, *MODES[mode])
    recorded = failures(real_redis)
    assert [f["exception"] for f in recorded] == ["TypeError", "TypeError"], recorded
    assert "argument" in recorded[0]["error"] and "argument" in recorded[1]["error"]
    assert_still_works_after(real_redis)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["SystemExit", "KeyboardInterrupt", "MemoryError"])
def test_base_exceptions_from_a_job_are_recorded_and_the_worker_goes_on(real_redis, start_worker, mode, kind):
    handle = jobs.raise_base.delay(kind)
    jobs.remember.delay("after")
    run_burst(start_worker, *MODES[mode])
    [failure] = failures(real_redis)
    assert failure["exception"] == kind, failure
    assert failure["payload"] == {"class": "tests.support.jobs.raise_base", "args": [kind], "id": handle.id}
    assert_still_works_after(real_redis)


@pytest.mark.parametrize("mode", MODES)
def test_ten_megabyte_arguments_go_through(real_redis, start_worker, mode):
    size = 10 * 1024 * 1024
    jobs.measure.delay("x" * size)
    jobs.remember.delay("after")
    run_burst(start_worker, *MODES[mode])
    assert done(real_redis)[0] == {"length": size}
    assert failures(real_redis) == []


def test_queue_names_with_spaces_and_colons(real_redis, start_worker):
    names = ["with space", "with:colon", "a: b:c"]
    for name in names:
        jobs.remember.enqueue_to(name, name)
    worker = start_worker("--queues", ",".join(names), "--burst")
    assert worker.wait() == 0, worker.output()
    assert [note["value"] for note in done(real_redis)] == names
    assert {m.decode() for m in real_redis.smembers(keys.queues())} == set(names)
    assert real_redis.scard(keys.workers()) == 0


@pytest.mark.parametrize("bad", ["", " padded ", "a,b", "all*"])
def test_queue_names_that_would_break_queue_lists_are_refused_at_the_call_site(real_redis, bad):
    with pytest.raises(ValueError, match="Queue name"):
        jobs.remember.enqueue_to(bad, 1)
    assert real_redis.keys("*") == []


def test_redis_going_away_while_enqueueing_raises_at_the_call_site(real_redis, redis_server):
    jobs.remember.delay("before")
    redis_server.stop()
    with pytest.raises(ResqueConnectionError, match=str(redis_server.port)):
        jobs.remember.delay("lost?")
    with pytest.raises(ResqueConnectionError):
        jobs.remember.delay_many([("a",), ("b",)])
    with pytest.raises(ResqueConnectionError):
        jobs.remember.enqueue_in(60, "later")
    redis_server.start()
    queued = [json.loads(raw)["args"] for raw in real_redis.lrange(keys.queue("test"), 0, -1)]
    assert queued == [["before"]]  # nothing half-written, nothing from the failed calls
    assert real_redis.zcard(keys.delayed_schedule()) == 0
    jobs.remember.delay("after")
    assert real_redis.llen(keys.queue("test")) == 2
