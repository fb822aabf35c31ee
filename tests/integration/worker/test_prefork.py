"""The pre-forked job process with a real worker: it runs the next job, dies with its parent."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from django_resque.worker import fork_server
from tests.support import jobs

from .conftest import (
    child_pid,
    children_of,
    done,
    failures,
    fork_servers_of,
    is_gone,
    job_processes_of,
    title_has,
    wait_until,
)


def one_spare(worker) -> int:
    def spares() -> list[int]:
        return [pid for pid in job_processes_of(worker.pid) if title_has(pid, b"Pre-forked")]

    [spare] = wait_until(spares, what="a spare")
    return spare


def test_an_idle_worker_runs_the_next_job_in_its_pre_forked_child(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    spare = one_spare(worker)
    jobs.sleepy.delay(0, "first")
    assert child_pid(real_redis, "first") == spare
    jobs.sleepy.delay(0, "second")
    second = child_pid(real_redis, "second")
    assert second not in (spare, worker.pid)  # the next pre-forked child: one job per fork


def test_a_dead_spare_is_replaced_and_the_job_still_runs(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    spare = one_spare(worker)
    os.kill(spare, signal.SIGKILL)
    jobs.remember.delay("after")
    wait_until(lambda: done(real_redis), what="the job run by a new child")
    assert done(real_redis)[0]["value"] == "after" and failures(real_redis) == []
    assert worker.process.poll() is None


@pytest.mark.parametrize("flags", [(), ("--no-fork-server",)])
def test_the_spare_and_the_fork_server_die_with_their_worker(real_redis, start_worker, flags):
    worker = start_worker("--queues", "test", *flags)
    spare = one_spare(worker)
    servers = fork_servers_of(worker.pid)
    assert len(servers) == (fork_server.supported() and not flags)
    worker.signal(signal.SIGKILL)
    worker.wait()
    wait_until(lambda: all(is_gone(pid) for pid in (spare, *servers)), what="the orphaned spare and fork server to die")


def test_a_clean_stop_takes_the_spare_along(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    spare = one_spare(worker)
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0, worker.output()
    wait_until(lambda: is_gone(spare), what="the spare to be stopped")


def test_no_prefork_forks_only_for_a_job(real_redis, start_worker):
    worker = start_worker("--queues", "test", "--no-prefork")
    wait_until(lambda: real_redis.scard("resque:workers"), what="the worker to register")
    jobs.sleepy.delay(0, "late")
    child = child_pid(real_redis, "late")
    assert child != worker.pid
    wait_until(lambda: not children_of(worker.pid), what="the job's child to be reaped")


def test_a_spare_dying_with_its_job_unread_gets_the_job_run_by_a_fresh_child(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    spare = one_spare(worker)
    os.kill(spare, signal.SIGSTOP)  # it cannot read the job handed to it
    jobs.remember.delay("handed")
    title = Path(f"/proc/{worker.pid}/cmdline")
    wait_until(lambda: f"Forked {spare} ".encode() in title.read_bytes(), what="the job handed over")
    os.kill(spare, signal.SIGKILL)
    wait_until(lambda: done(real_redis), what="the job run by a fresh child")
    assert done(real_redis)[0]["value"] == "handed" and failures(real_redis) == []
    assert "died before taking" in worker.output()
