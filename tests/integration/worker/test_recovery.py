"""No job lost: kill -9 of the child, of the parent, of both; Redis restarting."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest
import redis

from django_resque.testing import RedisServer
from tests.support import jobs

from .conftest import child_pid, children_of, done, failures, pid_alive, wait_until


def test_kill_9_of_the_child_becomes_a_failure(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    jobs.sleepy.delay(60, "k9")
    os.kill(child_pid(real_redis, "k9"), signal.SIGKILL)
    wait_until(lambda: failures(real_redis), what="dirty exit failure")
    [failure] = failures(real_redis)
    assert failure["exception"] == "Resque::DirtyExit" and "SIGKILL" in failure["error"]
    assert failure["worker"] == f"{socket.gethostname()}:{worker.pid}:test"
    assert worker.process.poll() is None


def test_kill_9_of_parent_and_child_is_recovered_at_once_by_a_restarted_worker(real_redis, start_worker):
    """As under systemd ``Restart=always``: the dead worker's pruning lock is not in the way."""
    first = start_worker("--queues", "test")
    jobs.sleepy.delay(60, "both")
    pid = child_pid(real_redis, "both")
    dead_id = f"{socket.gethostname()}:{first.pid}:test"
    first.signal(signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    first.wait()
    assert real_redis.get(f"resque:worker:{dead_id}") is not None  # the job waits in Redis
    second = start_worker("--queues", "test")
    wait_until(lambda: failures(real_redis), timeout=5, what="pruned job")
    [failure] = failures(real_redis)
    # Ruby's names: a dead process on this host is a DirtyExit; no counter moves
    assert (failure["exception"], failure["error"]) == ("Resque::DirtyExit", "Job still being processed")
    assert real_redis.get("resque:stat:failed") is None
    # pruning records the failure, then unregisters: wait for the second step too
    wait_until(lambda: not real_redis.sismember("resque:workers", dead_id), what="dead worker unregistered")
    assert second.process.poll() is None


def test_dirty_exit_requeue_option_puts_the_job_back(real_redis, start_worker, settings, tmp_path):
    real_redis.sadd("resque:workers", f"{socket.gethostname()}:999999:test")
    real_redis.set(
        f"resque:worker:{socket.gethostname()}:999999:test",
        '{"queue":"test","run_at":"2026-11-22T13:09:08Z","payload":{"class":"tests.support.jobs.remember","args":["again"]}}',
    )
    settings.RESQUE = {**settings.RESQUE, "DIRTY_EXIT": "requeue"}
    from django_resque import pruning

    pruning.prune_dead_workers("tester:1:test", ["test"])
    assert real_redis.lrange("resque:queue:test", 0, -1) == [
        b'{"class":"tests.support.jobs.remember","args":["again"]}'
    ]
    assert failures(real_redis) == []
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0
    assert done(real_redis)[0]["value"] == "again"


@pytest.fixture
def restartable_redis():
    try:
        server = RedisServer(appendonly=True).start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield server
    server.cleanup()


def test_redis_restart_while_working_loses_nothing(restartable_redis, start_worker):
    client = redis.Redis.from_url(restartable_redis.url)
    worker = start_worker("--queues", "test", url=restartable_redis.url)
    wid = f"{socket.gethostname()}:{worker.pid}:test"
    wait_until(lambda: client.sismember("resque:workers", wid), what="registration")
    client.sadd("resque:queues", "test")
    client.rpush("resque:queue:test", b'{"class":"tests.support.jobs.nap","args":[3]}')
    wait_until(lambda: client.get(f"resque:worker:{wid}"), what="job reserved")
    restartable_redis.restart()
    wait_until(lambda: client.get("resque:stat:processed") == b"1", what="job finished after restart")
    assert client.llen("resque:failed") == 0, (client.lrange("resque:failed", 0, -1), worker.output())
    client.rpush("resque:queue:test", b'{"class":"tests.support.jobs.remember","args":["after restart"]}')
    wait_until(lambda: client.get("resque:stat:processed") == b"2", what="worker still working")
    assert pid_alive(worker.pid)
    client.close()


def test_a_job_that_outlives_its_killed_worker_finishes_its_own_record(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    jobs.sleepy.delay(0.5, "orphan")
    pid = child_pid(real_redis, "orphan")
    _kill_and_let_the_job_process_end(worker, pid)
    assert {"finished": "orphan"} in done(real_redis)
    _assert_finished_by_the_job_process(real_redis, worker)


def test_a_job_process_finishes_its_record_if_the_worker_dies_before_saying_it_did(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    jobs.sleepy.delay(0.3, "unsaid")
    pid = child_pid(real_redis, "unsaid")
    worker.signal(signal.SIGSTOP)  # reads no "done" and reserves nothing until it dies
    wait_until(lambda: {"finished": "unsaid"} in done(real_redis), what="the job to end")
    time.sleep(0.3)
    assert pid_alive(pid) and real_redis.get(_record_key(worker)) is not None  # awaiting the worker's word
    _kill_and_let_the_job_process_end(worker, pid)
    _assert_finished_by_the_job_process(real_redis, worker)


def test_a_job_process_exits_once_the_worker_finished_its_record(real_redis, start_worker):
    worker = start_worker("--queues", "test", "--no-prefork")
    for n in range(3):
        jobs.remember.delay(n)
    wait_until(lambda: real_redis.get("resque:stat:processed") == b"3", what="three jobs")
    # Told at the worker's next reserve, not after the 10 s a job process waits at most.
    wait_until(lambda: not children_of(worker.pid), timeout=2, what="no job process left")


def _record_key(worker) -> str:
    return f"resque:worker:{socket.gethostname()}:{worker.pid}:test"


def _kill_and_let_the_job_process_end(worker, pid: int) -> None:
    worker.signal(signal.SIGKILL)
    worker.wait()
    wait_until(lambda: not pid_alive(pid), what="the job process to end")


def _assert_finished_by_the_job_process(client, worker) -> None:
    """Nobody is left to prune: the record is gone and the job counted, not failed."""
    assert client.get(_record_key(worker)) is None, worker.output()
    assert client.get("resque:stat:processed") == b"1"
    assert failures(client) == []
