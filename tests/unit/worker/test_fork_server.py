"""The fork server with real processes: job processes from it, their exits, its own death."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from django_resque.exceptions import ForkServerGoneError
from django_resque.worker import fork_server
from django_resque.worker.fork import STATUS_LOST, describe_exit
from django_resque.worker.fork_server import ForkServer
from tests.integration.worker.conftest import parent_of

pytestmark = pytest.mark.skipif(not fork_server.supported(), reason="needs Linux pidfds (5.3+)")


def _job(channel):
    """A stand-in job process: reports the job it is handed, exits with its length."""
    record = channel.receive_job()
    channel.done(failed=False)
    os._exit(len(record) if record is not None else 99)


@pytest.fixture
def server():
    started = ForkServer.start(_job)
    yield started
    if started.sock.fileno() != -1:
        started.stop()


def test_a_job_process_from_the_fork_server_is_handed_its_job_and_its_status_comes_back(server):
    process = server.spawn()
    try:
        assert parent_of(process.pid) == server.pid
        assert process.hand(b"abc")
        assert process.reap(block=True) == 3 << 8
        assert [m.kind for m in process.messages()] == ["d"]
    finally:
        process.close()
    assert process.pidfd is None  # reaped: nothing left open


def test_a_job_process_is_killed_through_its_pidfd(server):
    process = server.spawn()
    try:
        process.kill(signal.SIGKILL)
        assert describe_exit(process.reap(block=True)) == "killed by SIGKILL"
    finally:
        process.close()


def test_statuses_arriving_unasked_are_kept_until_asked_and_dropped_once_forgotten(server):
    kept, forgotten = server.spawn(), server.spawn()
    for process in (kept, forgotten):
        process.close()  # the pipe's end of file: each exits with 99
    forgotten.release()
    third = server.spawn()  # reading its reply reads what came before it
    try:
        time.sleep(0.2)
        assert kept.reap(block=True) == 99 << 8
        third.kill(signal.SIGKILL)
        third.reap(block=True)
        assert server._statuses == {} and server._forgotten == set()  # nothing piles up
    finally:
        third.close()
        kept.release()


def test_the_fork_server_ignores_the_workers_signals(server):
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        os.kill(server.pid, signum)
    process = server.spawn()
    process.kill(signal.SIGKILL)
    process.reap(block=True)
    process.close()


def test_the_fork_server_exits_when_the_worker_closes_its_socket(server):
    server.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(server.pid, os.WNOHANG)  # reaped by stop()


def test_a_dead_fork_server_is_gone_and_the_status_of_its_job_process_is_lost(server):
    process = server.spawn()
    os.kill(server.pid, signal.SIGKILL)
    os.waitpid(server.pid, 0)
    with pytest.raises(ForkServerGoneError):
        server.spawn()
    process.kill(signal.SIGKILL)
    try:
        assert process.reap(block=True) == STATUS_LOST
        assert describe_exit(STATUS_LOST) == "exited (its wait status was lost)"
    finally:
        process.close()
        server.sock.close()


def test_the_fork_server_closes_what_it_is_told_to():
    read_end, write_end = os.pipe()
    server = ForkServer.start(_job, close_in_child=[write_end])
    os.close(write_end)
    try:
        assert os.read(read_end, 1) == b""  # no copy of the write end survives there
    finally:
        server.stop()
        os.close(read_end)


def test_a_fork_that_fails_in_the_fork_server_is_an_os_error_here(monkeypatch):
    def cannot_fork(target, close_in_child):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(fork_server, "fork_with_pipes", cannot_fork)  # in the fork server, forked after
    server = ForkServer.start(_job)
    try:
        with pytest.raises(OSError, match="Resource temporarily unavailable"):
            server.spawn()
    finally:
        server.stop()


def test_a_silent_fork_server_is_taken_for_gone(server, monkeypatch):
    os.kill(server.pid, signal.SIGSTOP)
    monkeypatch.setattr(fork_server, "REPLY_SECONDS", 0.2)
    try:
        with pytest.raises(ForkServerGoneError, match="no answer"):
            server.spawn()
    finally:
        os.kill(server.pid, signal.SIGCONT)


ADOPTING_WORKER = """
import ctypes, os, signal
import django
django.setup()
from django_resque.worker.fork import describe_exit
from django_resque.worker.fork_server import ForkServer

def job(channel):
    channel.receive_job()
    os._exit(0)

ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us, as to a PID 1
server = ForkServer.start(job)
process = server.spawn()
os.kill(server.pid, signal.SIGKILL)
os.waitpid(server.pid, 0)
process.close()  # end of file on its pipe: it exits with 0
print(describe_exit(process.reap(block=True)))
"""


def test_a_dead_fork_servers_orphan_that_comes_to_the_worker_is_reaped_with_its_status():
    """As when the worker is PID 1 in a container: else each such orphan stays a zombie."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run([sys.executable, "-c", ADOPTING_WORKER], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "exited with status 0", done.stderr
