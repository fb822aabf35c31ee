"""Bulk failure changes on a real Redis with a 100,000-entry failed list (correctness;
speed is measured by benchmarks/failures_bulk.py, never asserted)."""

import json

from django_resque import keys
from django_resque.failure import api
from django_resque.failure.record import FailureRecord

N = 100_000


def _fill(client, n=N):
    pipe = client.pipeline(transaction=False)
    for index in range(n):
        record = FailureRecord(
            failed_at="2026/11/22 13:09:14 UTC",
            payload={"class": f"Job{index % 4}", "args": [index]},
            exception="OSError" if index % 2 else "KeyError",
            error="boom",
            backtrace=[],
            worker="h:1:q",
            queue=f"q{index % 2}",
        )
        pipe.rpush(keys.failed(), record.encode())
        if index % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()


def test_retry_all_of_a_class_then_remove_many_on_100k(real_redis):
    _fill(real_redis)
    assert api.retry_all(exception="OSError") == N // 2
    assert real_redis.llen(keys.queue("q1")) == N // 2
    assert real_redis.llen(keys.queue("q0")) == 0
    assert json.loads(real_redis.lindex(keys.queue("q1"), -1)) == {"class": "Job3", "args": [N - 1]}
    assert "retried_at" in json.loads(real_redis.lindex(keys.failed(), 1))
    assert "retried_at" not in json.loads(real_redis.lindex(keys.failed(), 0))

    targets = [(entry.index, entry.digest) for entry in api.page(0, N) if entry.index % 4 == 0]
    assert api.remove_many(targets) == N // 4
    assert api.count() == N - N // 4
    assert api.count(job="Job0") == 0
    assert api.remove_all(exception="KeyError") == N // 4
    assert api.count() == N // 2


def test_failures_appended_during_a_bulk_change_survive(real_redis):
    _fill(real_redis, 1000)
    targets = [(entry.index, entry.raw) for entry in api.page(0, 10)]
    real_redis.rpush(keys.failed(), '{"appended":true}')
    assert api.remove_many(targets) == 10
    assert api.count() == 991
    assert real_redis.lindex(keys.failed(), -1) == b'{"appended":true}'
