"""Dead workers pruned alike by Ruby and by us, and the pruning lock shared between fleets."""

from __future__ import annotations

import json
import socket

from django_resque import pruning

from .conftest import failures, wait_until

STALE = "2000-01-01T00:00:00+00:00"


def dead_worker(client, worker_id: str, *, stale: bool) -> None:
    """A registered worker that died holding a job (with an old heartbeat if ``stale``)."""
    client.sadd("resque:workers", worker_id)
    if stale:
        client.hset("resque:workers:heartbeat", worker_id, STALE)
    job = {"queue": "test", "run_at": "2026-11-22T13:09:08Z", "payload": {"class": "Lost", "args": [worker_id]}}
    client.set(f"resque:worker:{worker_id}", json.dumps(job))


def test_ruby_prunes_while_a_worker_of_ours_lives(real_redis, start_worker, start_ruby):
    ours = start_worker("--queues", "test")
    our_id = f"{socket.gethostname()}:{ours.pid}:test"
    wait_until(lambda: real_redis.sismember("resque:workers", our_id), what="our worker registered")
    dead_worker(real_redis, "far:1:test", stale=True)
    ruby_worker = start_ruby("work", "test")  # a Ruby worker prunes when it starts, if the pruning lock is free
    wait_until(lambda: failures(real_redis), timeout=10, what="Ruby to prune the dead worker")
    [record] = failures(real_redis)
    assert record["exception"] == "Resque::PruneDeadWorkerDirtyExit"
    wait_until(lambda: not real_redis.sismember("resque:workers", "far:1:test"), what="the dead worker unregistered")
    # Ruby registers itself after pruning: stopped here, it cannot register into the next test's Redis.
    ruby_worker.stop()


def test_pruned_jobs_are_recorded_as_ruby_records_them(real_redis, ruby):
    host = socket.gethostname()
    dead_worker(real_redis, "far:1:test", stale=True)
    dead_worker(real_redis, f"{host}:999991:test", stale=False)  # this host, process gone
    assert sorted(pruning.prune_dead_workers(f"{host}:1:test", ["test"])) == sorted(
        [f"{host}:999991:test", "far:1:test"]
    )
    dead_worker(real_redis, "far:2:test", stale=True)
    dead_worker(real_redis, f"{host}:999992:test", stale=False)
    ruby.eval('Resque::Worker.new("test").prune_dead_workers')  # Ruby's lock is free: ours was released
    ours, theirs = failures(real_redis)[:2], failures(real_redis)[2:]

    def seen(records):
        return sorted((r["exception"], r["error"].replace(r["worker"], "<id>"), r["queue"]) for r in records)

    assert (
        seen(ours)
        == seen(theirs)
        == [
            ("Resque::DirtyExit", "Job still being processed", "test"),
            ("Resque::PruneDeadWorkerDirtyExit", "Worker <id> did not gracefully exit while processing Lost", "test"),
        ]
    )
    assert real_redis.get("resque:stat:failed") is None and real_redis.get("resque:stat:processed") is None
    assert real_redis.smembers("resque:workers") == set()
