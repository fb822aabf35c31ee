"""Worker registry writes and the read API on fakeredis."""

from __future__ import annotations

import datetime as dt
import re

from django_resque import inflight, keys, workers


def test_worker_id_is_rubys():
    assert workers.worker_id(["high", "*"], pid=12, host="vm") == "vm:12:high,*"
    assert workers.parse_id("vm:12:high,low") == ("vm", 12, ("high", "low"))


def test_register_and_unregister(fake_redis):
    workers.register("vm:1:q")
    assert fake_redis.smembers(keys.workers()) == {b"vm:1:q"}
    started = fake_redis.get(keys.worker_started("vm:1:q")).decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", started)
    assert dt.datetime.fromisoformat(fake_redis.hget(keys.heartbeats(), "vm:1:q").decode())
    fake_redis.set(keys.stat("processed", "vm:1:q"), 3)
    workers.unregister_keys("vm:1:q")
    # Only the history stays (it expires by itself; the writer is forgotten after an hour).
    assert fake_redis.keys("*") == fake_redis.keys(keys.history_prefix() + "*")


def test_heartbeat_re_registers_a_forgotten_worker(fake_redis):
    workers.heartbeat("vm:1:q")
    assert fake_redis.sismember(keys.workers(), "vm:1:q")
    assert fake_redis.exists(keys.worker_started("vm:1:q"))


def test_finish_counts_processed_and_failed(fake_redis):
    fake_redis.set(keys.worker("w"), b"rec")
    assert inflight.finish("w", b"rec", failed=True)
    assert fake_redis.get(keys.stat("processed")) == b"1"
    assert fake_redis.get(keys.stat("failed", "w")) == b"1"
    assert not inflight.finish("w", b"rec", failed=False)
    assert fake_redis.get(keys.stat("processed")) == b"1"


def test_all_workers_and_find(fake_redis):
    workers.register("vm:1:q")
    workers.register("vm:2:a,b")
    fake_redis.set(keys.worker("vm:1:q"), '{"queue":"q","run_at":"x","payload":{"class":"A","args":[]}}')
    fake_redis.hset(keys.heartbeats(), "vm:2:a,b", "2000-01-01T00:00:00+00:00")
    workers.set_paused("vm:2:a,b", True)
    first, second = workers.all_workers()
    assert (first.id, first.state, first.job["payload"]["class"], first.is_stale) == ("vm:1:q", "working", "A", False)
    assert (second.pid, second.queues, second.state, second.is_stale) == (2, ("a", "b"), "paused", True)
    assert workers.find("vm:3:q") is None
    assert workers.find("vm:1:q") == first


def test_odd_values_written_by_others_read_without_raising(fake_redis):
    workers.register("vm:1:q")
    fake_redis.set(keys.worker("vm:1:q"), b"[" * 990 + b"]" * 990)
    fake_redis.hset(keys.heartbeats(), "vm:1:q", "2000-01-01T00:00:00")  # no zone: UTC
    fake_redis.set(keys.stat("processed", "vm:1:q"), "lots")
    fake_redis.set(keys.worker_started("vm:1:q"), b"\xff")
    fake_redis.sadd(keys.workers(), b"vm\xff:99999999999999999999999:q")
    worker, odd = workers.all_workers()
    assert (worker.job, worker.processed, worker.is_stale, worker.started) == (
        {"raw": "[" * 990 + "]" * 990},
        0,
        True,
        "\ufffd",
    )
    assert (odd.id, odd.pid) == ("vm\ufffd:99999999999999999999999:q", 0)


def test_a_counter_that_is_not_an_integer_does_not_stop_finishing_jobs(fake_redis):
    fake_redis.set(keys.stat("processed"), "lots")
    fake_redis.set(keys.worker("vm:1:q"), b"record")
    assert inflight.finish("vm:1:q", b"record", failed=True) is True
    assert fake_redis.get(keys.worker("vm:1:q")) is None
    assert fake_redis.get(keys.stat("processed")) == b"lots"  # left as it is
    assert fake_redis.get(keys.stat("failed")) == b"1"
