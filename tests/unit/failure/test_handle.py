"""``failure.handle``: the worker's single entry point for every failure."""

import json

import pytest

from django_resque import failure, keys, retry, unique
from django_resque.exceptions import UnknownJobError
from django_resque.failure import api
from django_resque.payload import from_dict
from tests.support import jobs as support


def _run_and_handle(job, payload, queue="test"):
    """As the worker: a run of a job with a policy is counted first, then performed."""
    try:
        if job.retry_policy is not None:
            retry.begin_attempt(job.name, payload["args"])
        job.perform(*payload["args"])
    except Exception as exc:
        failure.handle(exc, payload=payload, queue=queue, worker_id="h:1:test", job=job)


def test_a_job_without_policy_is_recorded_as_ruby_does(fake_redis):
    _run_and_handle(support.explode, {"class": support.explode.name, "args": ["x"]})
    record = json.loads(fake_redis.lindex(keys.failed(), 0))
    assert list(record) == ["failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"]
    assert record["exception"] == "Boom"


def test_retries_then_gives_up_with_the_attempt_count(fake_redis):
    payload = {"class": support.flaky.name, "args": ["x"]}
    count = retry.attempts_key(support.flaky.name, ["x"])
    for run in (0, 1):
        _run_and_handle(support.flaky, payload)
        # the payload comes back as it was: the count is in Redis, as resque-retry keeps it
        assert json.loads(fake_redis.lpop(keys.queue("test"))) == payload
        assert fake_redis.get(count) == str(run).encode()
        assert fake_redis.llen(keys.failed()) == 0
    _run_and_handle(support.flaky, payload)
    assert fake_redis.llen(keys.queue("test")) == 0
    record = api.get(0).record
    assert record.extra["attempts"] == 3
    assert record.payload == payload
    assert not fake_redis.exists(count)  # forgotten after the final failure, as resque-retry does
    assert fake_redis.get(keys.stat("failed")) is None  # the worker counts it


def test_errors_not_listed_in_retry_on_are_recorded_at_once(fake_redis):
    payload = {"class": support.flaky.name, "args": ["x"]}
    failure.handle(KeyError("other"), payload=payload, queue="test", worker_id="w", job=support.flaky)
    assert api.count() == 1
    assert api.get(0).record.extra["attempts"] == 1


def test_backoff_schedules_a_delayed_retry(fake_redis):
    _run_and_handle(support.retry_later, {"class": support.retry_later.name, "args": ["x"]})
    [epoch] = fake_redis.zrange(keys.delayed_schedule(), 0, -1)
    item = json.loads(fake_redis.lindex(keys.delayed(int(epoch)), 0))
    assert item == {"class": support.retry_later.name, "args": ["x"], "queue": "test"}
    assert fake_redis.ttl(retry.attempts_key(support.retry_later.name, ["x"])) > 60  # outlives the wait
    assert api.count() == 0


def test_without_a_job_nothing_is_retried(fake_redis):
    failure.handle(
        UnknownJobError("Nope"), payload={"class": "Nope", "args": []}, queue="test", worker_id="w", job=None
    )
    assert api.count() == 1
    assert "attempts" not in api.get(0).record.extra


def test_unique_lock_is_kept_while_retrying_and_released_on_final_failure(fake_redis):
    support.RetryingClassJob.delay(1)
    payload = json.loads(fake_redis.lpop(keys.queue("classy")))
    job = support.RetryingClassJob.job
    lock = keys.unique_lock(unique.identity(job, from_dict(payload)))
    _run_and_handle(job, payload, "classy")
    assert fake_redis.get(lock) is not None
    assert fake_redis.pttl(lock) > 3_600_000  # the 5 s wait is added to the TTL
    assert support.RetryingClassJob.delay(1).enqueued is False
    _run_and_handle(job, payload, "classy")
    _run_and_handle(job, payload, "classy")
    assert fake_redis.get(lock) is None
    assert support.RetryingClassJob.delay(1).enqueued is True


def test_a_failing_backend_keeps_the_lock(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "FAILURE_BACKENDS": ["tests.unit.failure.test_handle.Broken"]}
    support.unique_note.delay(1)
    payload = json.loads(fake_redis.lpop(keys.queue("test")))
    with pytest.raises(OSError):
        failure.handle(ValueError("x"), payload=payload, queue="test", worker_id="w", job=support.unique_note)
    assert support.unique_note.delay(1).enqueued is False


class Broken(failure.FailureBackend):
    def save(self, record):
        raise OSError("down")
