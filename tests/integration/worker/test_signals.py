"""Resque's signals on a real worker: QUIT, TERM, INT, USR1, USR2/CONT, pause-all."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from tests.support import jobs

from .conftest import child_pid, done, failures, pid_alive, wait_until


def _values(client) -> list[object]:
    return [note.get("value") for note in done(client) if isinstance(note, dict) and "value" in note]


def test_quit_finishes_the_current_job_then_exits(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    jobs.sleepy.delay(1.5, "quit")
    jobs.remember.delay("not taken")
    child_pid(real_redis, "quit")
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0, worker.output()
    assert "stopping on SIGQUIT" in worker.output()
    assert {"finished": "quit"} in done(real_redis)
    assert failures(real_redis) == []
    assert real_redis.llen("resque:queue:test") == 1
    assert real_redis.smembers("resque:workers") == set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_term_and_int_kill_the_job_record_it_and_exit(real_redis, start_worker, signum):
    worker = start_worker("--queues", "test", "--term-timeout", "1")
    handle = jobs.sleepy.delay(60, "term")
    pid = child_pid(real_redis, "term")
    worker.signal(signum)
    assert worker.wait() == 0, worker.output()
    assert not pid_alive(pid)
    [failure] = failures(real_redis)
    assert failure["exception"] == "Resque::DirtyExit"
    assert signal.Signals(signum).name in failure["error"]
    assert failure["payload"] == {"class": "tests.support.jobs.sleepy", "args": [60, "term"], "id": handle.id}
    assert real_redis.get("resque:stat:failed") == b"1"


def test_usr1_kills_the_job_and_keeps_working(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    jobs.sleepy.delay(60, "usr1")
    child_pid(real_redis, "usr1")
    worker.signal(signal.SIGUSR1)
    wait_until(lambda: failures(real_redis), what="failure of the killed job")
    assert "SIGUSR1" in failures(real_redis)[0]["error"]
    jobs.remember.delay("next")
    wait_until(lambda: "next" in _values(real_redis), what="next job")
    assert worker.process.poll() is None


def test_usr2_pauses_and_cont_resumes(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    wid = f"{socket.gethostname()}:{worker.pid}:test"
    wait_until(lambda: real_redis.sismember("resque:workers", wid), what="registration")
    worker.signal(signal.SIGUSR2)
    wait_until(lambda: real_redis.exists(f"resque:worker:{wid}:paused"), what="paused")
    jobs.remember.delay("while paused")
    time.sleep(1.0)  # a paused worker must leave the job alone for a while
    assert real_redis.llen("resque:queue:test") == 1
    worker.signal(signal.SIGCONT)
    wait_until(lambda: "while paused" in _values(real_redis), what="job after CONT")


def test_pause_all_workers_key_is_honoured(real_redis, start_worker):
    real_redis.set("resque:pause-all-workers", "TRUE")
    worker = start_worker("--queues", "test", "--interval", "1")
    jobs.remember.delay("held")
    wait_until(lambda: real_redis.scard("resque:workers") == 1, what="registration")
    time.sleep(1.0)
    assert real_redis.llen("resque:queue:test") == 1
    real_redis.delete("resque:pause-all-workers")
    wait_until(lambda: "held" in _values(real_redis), what="job after unpause")
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0
