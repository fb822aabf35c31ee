"""History written by real workers (fork per job and --no-fork) into a real Redis, and its expiry."""

from __future__ import annotations

import json

import pytest

from django_resque import history, keys
from tests.support import jobs

from .conftest import wait_until


def _figures(client) -> dict[str, int]:
    """Every minute hash of the history, summed field by field."""
    total: dict[str, int] = {}
    for key in client.scan_iter(match=keys.history_prefix() + "minute:*"):
        for field, value in client.hgetall(key).items():
            total[field.decode()] = total.get(field.decode(), 0) + int(float(value))
    return total


# Each mode writes its counts its own way: the worker's reserves (fork per job, --no-fork),
# the job process's own before it ends (--jobs-per-fork), all held up to a second.
@pytest.mark.parametrize(
    "mode", [[], ["--no-fork"], ["--jobs-per-fork", "2"]], ids=["fork", "no-fork", "jobs-per-fork"]
)
def test_a_real_worker_writes_history_that_expires(real_redis, start_worker, monkeypatch, mode):
    monkeypatch.setenv("RESQUE_TEST_SETTINGS", json.dumps({"DURATION_METRICS": True, "HISTORY_MINUTES": 30}))
    jobs.noop.delay()
    jobs.noop.delay()
    jobs.explode.delay("boom")
    start_worker("--queues", "test", *mode)
    wait_until(lambda: _figures(real_redis).get("processed") == 3, what="three jobs counted in the history")
    figures = _figures(real_redis)
    assert figures["failed"] == 1 and figures["processed:test"] == 3 and figures["failed:test"] == 1
    assert figures["depth:test"] == figures["depth"] >= 0  # sampled at registration
    wait_until(lambda: history.slowest(history.SPANS["hour"]), what="the durations of the jobs that succeeded")
    assert history.slowest(history.SPANS["hour"])[0].count == 2
    assert history.slowest(history.SPANS["week"], queue="test") == history.slowest(history.SPANS["week"])
    assert history.non_writers([worker_id.decode() for worker_id in real_redis.smembers(keys.workers())]) == []
    written = [key for key in real_redis.scan_iter(match=keys.history_prefix() + "*")]
    assert len(written) == 7  # minute, hour, their durations fleet-wide and of queue test, the writers
    for key in written:
        if key.endswith(b":writers"):
            continue
        limit = 30 * 60 + 60 if b":minute:" in key else 168 * 3600 + 3600
        assert 0 < real_redis.ttl(key) <= limit, key
