"""The fork server with a real worker: where job processes come from, and its death."""

from __future__ import annotations

import os
import signal
import time

import pytest

from django_resque.worker import fork_server
from tests.support import jobs

from .conftest import child_pid, done, failures, fork_servers_of, is_gone, parent_of, wait_until

pytestmark = pytest.mark.skipif(not fork_server.supported(), reason="needs Linux pidfds (5.3+)")


def the_fork_server(worker) -> int:
    [server] = wait_until(lambda: fork_servers_of(worker.pid), what="the worker's fork server")
    return server


def test_job_processes_come_from_the_fork_server(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    server = the_fork_server(worker)
    jobs.sleepy.delay(0.5, "served")
    assert parent_of(child_pid(real_redis, "served")) == server
    assert f"Fork server {server} forks the job processes of" in worker.output()


def test_no_fork_server_forks_job_processes_in_the_worker(real_redis, start_worker):
    worker = start_worker("--queues", "test", "--no-fork-server")
    jobs.sleepy.delay(0.5, "forked here")
    assert parent_of(child_pid(real_redis, "forked here")) == worker.pid
    assert fork_servers_of(worker.pid) == []


def test_a_killed_fork_server_loses_no_job_and_is_replaced(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    server = the_fork_server(worker)
    jobs.sleepy.delay(0.5, "running")
    running = child_pid(real_redis, "running")
    os.kill(server, signal.SIGKILL)
    for n in range(5):
        jobs.remember.delay(n)
    wait_until(lambda: len([n for n in done(real_redis) if "value" in n]) == 5, what="every job, run")
    assert {"finished": "running"} in done(real_redis)
    wait_until(lambda: is_gone(running), what="the orphaned job process to exit")
    assert failures(real_redis) == []
    time.sleep(1.2)  # past the first restart delay (1 s)
    jobs.remember.delay("after the delay")  # runs in a spare the worker forked; the next spare is served
    replacement = the_fork_server(worker)
    assert replacement != server and worker.process.poll() is None
    jobs.sleepy.delay(0.5, "again served")
    assert parent_of(child_pid(real_redis, "again served")) == replacement
