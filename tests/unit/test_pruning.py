"""Pruning dead workers and recovering their jobs, on fakeredis."""

from __future__ import annotations

import json
import os
import socket

import pytest

from django_resque import keys, pruning, workers

RECORD = '{"queue":"q","run_at":"2026-11-22T13:09:08Z","payload":{"class":"tests.support.jobs.remember","args":[1]}}'


def _failed(client) -> list[dict]:
    return [json.loads(raw) for raw in client.lrange(keys.failed(), 0, -1)]


def test_stale_heartbeat_is_pruned_and_its_job_failed(fake_redis):
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00+00:00")
    fake_redis.set(keys.worker("far:1:q"), RECORD)
    assert pruning.prune_dead_workers("me:2:q", ["q"]) == ["far:1:q"]
    [failure] = _failed(fake_redis)
    assert failure["exception"] == "Resque::PruneDeadWorkerDirtyExit"
    assert failure["error"] == "Worker far:1:q did not gracefully exit while processing tests.support.jobs.remember"
    assert failure["worker"] == "far:1:q" and failure["queue"] == "q"
    assert not fake_redis.sismember(keys.workers(), "far:1:q")
    # as Ruby's pruning: the failed list counts the job, the counters do not move
    assert fake_redis.get(keys.stat("failed")) is None and fake_redis.get(keys.stat("processed")) is None


def test_stale_worker_without_a_job_class_is_named_as_ruby_names_it(fake_redis):
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00+00:00")
    fake_redis.set(keys.worker("far:1:q"), '{"queue":"q","run_at":"x","payload":"not json"}')
    pruning.prune_dead_workers("me:2:q", ["q"])
    assert _failed(fake_redis)[0]["error"] == "Worker far:1:q did not gracefully exit while processing <Unknown Job>"


def test_same_host_dead_process_is_a_dirty_exit_as_in_ruby(fake_redis):
    dead = f"{socket.gethostname()}:999999:q"
    workers.register(dead)
    fake_redis.set(keys.worker(dead), RECORD)
    pruning.prune_dead_workers(f"{socket.gethostname()}:{os.getpid()}:q", ["q"])
    [failure] = _failed(fake_redis)
    assert (failure["exception"], failure["error"]) == ("Resque::DirtyExit", "Job still being processed")
    assert fake_redis.get(keys.stat("failed")) is None and fake_redis.get(keys.stat("processed")) is None


def test_the_pruning_lock_is_released_once_done(fake_redis):
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00+00:00")
    assert pruning.prune_dead_workers("me:2:q", ["q"]) == ["far:1:q"]
    assert not fake_redis.exists(keys.pruning_lock())
    workers.register("far:3:q")
    fake_redis.hset(keys.heartbeats(), "far:3:q", "2000-01-01T00:00:00+00:00")
    assert pruning.prune_dead_workers("me:4:q", ["q"]) == ["far:3:q"]  # the next pruner at once


def test_a_lock_taken_over_meanwhile_is_left_to_its_owner(fake_redis, monkeypatch):
    def taken_over(worker_id, queues):
        fake_redis.set(keys.pruning_lock(), "other:9:q")  # ours expired, another pruner took it
        return []

    monkeypatch.setattr(pruning, "_prune_dead", taken_over)
    pruning.prune_dead_workers("me:2:q", ["q"])
    assert fake_redis.get(keys.pruning_lock()) == b"other:9:q"


def test_the_lock_is_released_when_pruning_raises(fake_redis, monkeypatch):
    def broken(worker_id, queues):
        raise RuntimeError("boom")

    monkeypatch.setattr(pruning, "_prune_dead", broken)
    with pytest.raises(RuntimeError):
        pruning.prune_dead_workers("me:2:q", ["q"])
    assert not fake_redis.exists(keys.pruning_lock())


def test_same_host_worker_whose_process_is_gone_is_pruned(fake_redis):
    host = socket.gethostname()
    workers.register(f"{host}:999999:q")
    workers.register(f"{host}:999998:other")  # other queue set: left alone, as Ruby
    assert pruning.prune_dead_workers(f"{host}:{os.getpid()}:q", ["q"]) == [f"{host}:999999:q"]


def test_one_pruner_at_a_time(fake_redis):
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00+00:00")
    fake_redis.set(keys.pruning_lock(), "someone")
    assert pruning.prune_dead_workers("me:2:q", ["q"]) == []


def test_prune_can_requeue_instead(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DIRTY_EXIT": "requeue"}
    fake_redis.set(keys.worker("w:1:q"), RECORD)
    pruning.prune("w:1:q")
    assert fake_redis.lrange(keys.queue("q"), 0, -1) == [b'{"class":"tests.support.jobs.remember","args":[1]}']
    assert _failed(fake_redis) == []


def test_a_malformed_job_is_failed_even_with_requeue(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DIRTY_EXIT": "requeue"}
    fake_redis.set(keys.worker("w:1:q"), '{"queue":"q","run_at":"x","payload":"not json"}')
    pruning.prune("w:1:q")
    assert _failed(fake_redis)[0]["payload"] == {"raw": "not json"}


def test_our_process_title_counts_as_a_resque_process():
    assert pruning.RESQUE_TITLE.search(b"resque-0.1.0: Waiting for q")
    assert not pruning.is_resque_process(999999999)


def test_an_undecodable_record_is_pruned_as_a_dirty_exit_keeping_its_text(fake_redis):
    deep = b'{"queue":"q","run_at":"x","payload":' + b"[" * 990 + b"]" * 990 + b"}"
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00")  # Ruby-style: no zone
    fake_redis.set(keys.worker("far:1:q"), deep)
    assert pruning.prune_dead_workers("me:2:q", ["q"]) == ["far:1:q"]
    [failure] = _failed(fake_redis)
    assert failure["exception"] == "Resque::PruneDeadWorkerDirtyExit"
    assert failure["error"] == "Worker far:1:q did not gracefully exit while processing <unreadable>"
    assert failure["payload"] == {"raw": deep.decode()}
    assert not fake_redis.sismember(keys.workers(), "far:1:q")


def test_invalid_utf8_in_a_record_is_kept_as_text(fake_redis):
    fake_redis.set(keys.worker("w:1:q"), b'{"queue":"q","payload":{"class":"\xff"}}')
    pruning.prune("w:1:q")
    assert _failed(fake_redis)[0]["payload"] == {"raw": '{"queue":"q","payload":{"class":"\ufffd"}}'}


def test_periodic_prunes_take_turns_fleet_wide_but_a_starting_worker_prunes_at_once(fake_redis):
    workers.register("far:1:q")
    fake_redis.hset(keys.heartbeats(), "far:1:q", "2000-01-01T00:00:00+00:00")
    assert pruning.prune_dead_workers("me:2:q", ["q"], periodic=True) == ["far:1:q"]
    workers.register("far:3:q")
    fake_redis.hset(keys.heartbeats(), "far:3:q", "2000-01-01T00:00:00+00:00")
    assert pruning.prune_dead_workers("you:4:q", ["q"], periodic=True) == []  # this interval's turn is taken
    assert 0 < fake_redis.ttl(keys.pruning_turn()) <= 60
    assert pruning.prune_dead_workers("new:5:q", ["q"]) == ["far:3:q"]  # at start: at once
