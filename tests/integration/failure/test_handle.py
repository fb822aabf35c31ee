"""``failure.handle`` end to end on a real Redis: record, retry with backoff, give up,
unique locks, and records Ruby's ``Resque::Failure.all`` reads."""

import json
import time

from django_resque import failure, keys, retry
from django_resque.failure import api
from django_resque.scheduler import mover
from tests.support import jobs as support


def _perform(job, payload, queue="test"):
    """What the worker does with one payload: count the run (retry policies), perform, or hand the failure over."""
    try:
        if job.retry_policy is not None:
            retry.begin_attempt(job.name, payload["args"])
        job.perform(*payload["args"])
    except Exception as exc:
        failure.handle(exc, payload=payload, queue=queue, worker_id="host:42:test", job=job)
        return False
    return True


def test_fail_list_retry_succeed_remove_clear(real_redis):
    payload = {"class": support.explode.name, "args": ["bad"]}
    assert not _perform(support.explode, payload)
    [entry] = api.page()
    record = json.loads(entry.raw)
    assert list(record) == ["failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"]
    assert (record["exception"], record["error"], record["worker"]) == ("Boom", "bad", "host:42:test")
    api.retry(entry.index, entry.digest)
    requeued = json.loads(real_redis.lpop(keys.queue("test")))
    assert requeued == payload
    assert "retried_at" in json.loads(real_redis.lindex(keys.failed(), 0))
    assert _perform(support.remember, {"class": support.remember.name, "args": [1]})
    api.remove(0, api.get(0).raw)
    assert api.count() == 0
    _perform(support.explode, payload)
    api.clear()
    assert real_redis.exists(keys.failed()) == 0


def test_retry_policy_timing_and_giving_up(real_redis):
    payload = {"class": support.retry_later.name, "args": ["x"]}
    for attempt, delay in ((1, 60), (2, 120), (3, 120)):
        before = time.time()
        _perform(support.retry_later, payload)
        [(_member, score)] = real_redis.zrange(keys.delayed_schedule(), 0, -1, withscores=True)
        assert int(before) + delay - 1 <= score <= time.time() + delay
        item = json.loads(real_redis.lpop(keys.delayed(int(score))))
        assert real_redis.get(retry.attempts_key(support.retry_later.name, ["x"])) == str(attempt - 1).encode()
        real_redis.delete(keys.delayed_schedule(), keys.timestamps(json.dumps(item, separators=(",", ":"))))
        payload = {key: value for key, value in item.items() if key != "queue"}
    _perform(support.retry_later, payload)
    assert real_redis.zcard(keys.delayed_schedule()) == 0
    assert api.get(0).record.extra["attempts"] == 4


def test_a_retry_that_succeeds_releases_nothing_twice(real_redis):
    payload = {"class": support.fails_once.name, "args": ["k"]}
    assert not _perform(support.fails_once, payload)
    again = json.loads(real_redis.lpop(keys.queue("test")))
    assert again == payload
    assert _perform(support.fails_once, again)
    assert api.count() == 0


def test_unique_lock_through_retries_on_a_real_server(real_redis):
    assert support.RetryingClassJob.delay("u").enqueued is True
    payload = json.loads(real_redis.lpop(keys.queue("classy")))
    assert not _perform(support.RetryingClassJob.job, payload, "classy")
    assert support.RetryingClassJob.delay("u").enqueued is False
    assert not _perform(support.RetryingClassJob.job, payload, "classy")
    assert not _perform(support.RetryingClassJob.job, payload, "classy")  # the third run: given up
    assert support.RetryingClassJob.delay("u").enqueued is True


def test_a_delayed_retry_moved_by_the_scheduler_keeps_its_attempt_and_lock(real_redis):
    support.RetryingClassJob.delay("m")
    payload = json.loads(real_redis.lpop(keys.queue("classy")))
    assert not _perform(support.RetryingClassJob.job, payload, "classy")
    assert mover.enqueue_due(time.time() + 10) == 1  # backoff is 5 s: due by then
    moved = json.loads(real_redis.lpop(keys.queue("classy")))
    assert moved == payload  # class and args: the count and the lock derive from them
    assert real_redis.get(retry.attempts_key(support.RetryingClassJob.job.name, ["m"])) == b"0"  # one run so far
    assert support.RetryingClassJob.delay("m").enqueued is False
