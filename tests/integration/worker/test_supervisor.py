"""``--workers N`` with real processes: a worker killed -9 is replaced and its job recovered."""

from __future__ import annotations

import os
import signal
import socket

from tests.support import jobs

from .conftest import child_pid, done, failures, wait_until, worker_of


def worker_ids(client) -> set[str]:
    return {member.decode() for member in client.smembers("resque:workers")}


def test_a_worker_killed_9_is_replaced_and_its_job_recovered(real_redis, start_worker):
    supervisor = start_worker("--queues", "test", "--workers", "2")
    wait_until(lambda: len(worker_ids(real_redis)) == 2, what="two workers")
    handle = jobs.sleepy.delay(60, "held")
    job_pid = child_pid(real_redis, "held")
    victim = worker_of(job_pid)
    dead_id = f"{socket.gethostname()}:{victim}:test"
    assert dead_id in worker_ids(real_redis)
    os.kill(victim, signal.SIGKILL)
    os.kill(job_pid, signal.SIGKILL)

    def replaced() -> bool:
        ids = worker_ids(real_redis)
        return len(ids) == 2 and dead_id not in ids

    wait_until(replaced, what="the dead worker replaced and pruned")
    wait_until(lambda: failures(real_redis), what="its job recovered")
    [failure] = failures(real_redis)
    assert failure["exception"] == "Resque::DirtyExit" and failure["worker"] == dead_id
    assert failure["payload"] == {"class": jobs.sleepy.name, "args": [60, "held"], "id": handle.id}
    jobs.remember.delay("after")
    wait_until(lambda: any(note.get("value") == "after" for note in done(real_redis)), what="work goes on")
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait() == 0, supervisor.output()


def test_burst_workers_are_not_restarted_once_the_queues_are_empty(real_redis, start_worker):
    jobs.remember.delay_many([(n,) for n in range(6)])
    supervisor = start_worker("--queues", "test", "--workers", "2", "--burst")
    assert supervisor.wait() == 0, supervisor.output()
    assert sorted(note["value"] for note in done(real_redis)) == list(range(6))
    assert "replacing" not in supervisor.output()
    assert worker_ids(real_redis) == set()
