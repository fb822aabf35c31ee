"""A job process's start: the DB and cache connections it inherits are dropped, unused."""

from __future__ import annotations

import functools
import json
import os
import signal
import time

import pytest
from django.core.cache import caches
from django.db import connections

import django_resque
from django_resque import inflight, keys
from django_resque.worker import child, fork_server, process_signals
from django_resque.worker.fork import JobProcess
from django_resque.worker.fork_server import ForkServer
from tests.integration.worker.conftest import parent_of
from tests.support import jobs


def _reporting(write_end: int, inherited_connections: bool):
    """A job process target: after its start, write how many DB/cache connections it holds."""

    def target(channel):
        child.prepare_after_fork(served=not inherited_connections)
        held = len(connections.all(initialized_only=True)) + len(caches.all(initialized_only=True))
        os.write(write_end, b"%d" % held)
        os._exit(0)

    return target


@pytest.fixture
def parent_connections():
    """The parent holds a DB connection and a cache, as a worker may; it keeps both."""
    db, cache = connections["default"], caches["default"]
    yield db, cache
    assert connections["default"] is db and caches["default"] is cache


def _held_in(process: JobProcess, read_end: int) -> int:
    process.reap(block=True)
    process.close()
    return int(os.read(read_end, 16))


def test_a_job_process_forked_by_the_worker_drops_what_it_inherits(parent_connections):
    read_end, write_end = os.pipe()
    try:
        process = JobProcess.spawn(_reporting(write_end, inherited_connections=True))
        assert _held_in(process, read_end) == 0
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.skipif(not fork_server.supported(), reason="needs Linux pidfds (5.3+)")
@pytest.mark.parametrize(
    ("prepare", "held"), [(functools.partial(child.prepare_fork_server, os.getpid()), 0), (lambda: None, 2)]
)
def test_the_fork_server_drops_them_once_for_all_its_job_processes(parent_connections, prepare, held):
    read_end, write_end = os.pipe()
    server = ForkServer.start(_reporting(write_end, inherited_connections=False), prepare=prepare)
    try:
        assert _held_in(server.spawn(), read_end) == held  # 2: nothing dropped them
    finally:
        server.stop()
        os.close(read_end)
        os.close(write_end)


def _reporting_worker_gone(write_end: int, go_on: int):
    """A job process target: writes whether it thinks its worker gone, before and after its parent dies."""

    def target(channel):
        gone = child.worker_gone_check()
        os.write(write_end, b"%d" % gone())
        os.read(go_on, 1)
        os.write(write_end, b"%d" % gone())
        os._exit(0)

    return target


@pytest.mark.skipif(not fork_server.supported(), reason="needs Linux pidfds (5.3+)")
def test_a_job_process_of_a_dead_fork_server_still_sees_its_worker_alive():
    """Its worker is this test's process: alive all along, though the fork server dies."""
    read_end, write_end = os.pipe()
    go_read, go_write = os.pipe()
    prepare = functools.partial(child.prepare_fork_server, os.getpid())
    server = ForkServer.start(_reporting_worker_gone(write_end, go_read), prepare=prepare)
    process = server.spawn()
    try:
        assert os.read(read_end, 1) == b"0"
        os.kill(server.pid, signal.SIGKILL)
        os.waitpid(server.pid, 0)
        while parent_of(process.pid) == server.pid:
            time.sleep(0.01)
        os.write(go_write, b"g")
        assert os.read(read_end, 1) == b"0"  # with its parent gone, it would be "1"
    finally:
        process.kill(signal.SIGKILL)
        process.close()
        server.sock.close()
        for fd in (read_end, write_end, go_read, go_write):
            os.close(fd)


class _Channel:
    """A job process's channel to a worker that says "finished" (``word``) or not."""

    def __init__(self, word: bool, room: int = 60_000) -> None:
        self.word, self.room, self.sent = word, room, []

    def result_room(self) -> int:
        return self.room

    def done(self, failed=None, value=None, seconds=0) -> None:
        self.sent.append((failed, value, seconds))

    def await_finished(self, parent_gone, seconds) -> bool:
        return self.word


def _hand_back(channel: _Channel, job, *args):
    queued = job.delay(*args)
    reservation = inflight.reserve("w:1:test", ["test"])
    child._work_and_hand_back(reservation, "w:1:test", lambda: False, channel)
    return queued.id


def test_a_result_goes_to_the_worker_which_stores_it_as_it_finishes_the_record(fake_redis):
    channel = _Channel(word=True)
    job_id = _hand_back(channel, jobs.doubled, 4)
    assert channel.sent == [(False, '{"doubled":8}', 600)]
    assert django_resque.fetch(job_id).status == "running"  # the worker's next reserve does the rest
    assert fake_redis.get(keys.worker("w:1:test")) is not None


def test_without_the_workers_word_the_job_process_finishes_its_record_with_the_result(fake_redis):
    job_id = _hand_back(_Channel(word=False), jobs.doubled, 5)
    done = django_resque.fetch(job_id)
    assert (done.status, done.result) == ("finished", {"doubled": 10})
    assert 590 < fake_redis.ttl(keys.job_record(job_id)) <= 600
    assert fake_redis.get(keys.worker("w:1:test")) is None and fake_redis.get(keys.stat("processed")) == b"1"


def test_a_result_larger_than_the_pipe_takes_is_stored_by_the_job_process(fake_redis):
    channel = _Channel(word=True, room=10)
    job_id = _hand_back(channel, jobs.sized, 20)
    assert channel.sent == [(False, None, 0)]
    assert django_resque.fetch(job_id).result == "x" * 20


def _reporting_dispositions(write_end: int, served: bool):
    """A job process target: after its start, write its signal dispositions."""

    def target(channel):
        child.prepare_after_fork(served)
        handlers = [getattr(signal.getsignal(signum), "name", "a handler") for signum in DISPOSITIONS]
        os.write(write_end, json.dumps(handlers).encode())
        os._exit(0)

    return target


DISPOSITIONS = (*process_signals.JOB_DEFAULT, *process_signals.JOB_IGNORED)


@pytest.fixture
def worker_handlers():
    """The worker's handlers installed, as in a worker; restored after."""
    flags = process_signals.SignalFlags()
    flags.install(also=(signal.SIGALRM,))
    yield
    flags.close()


@pytest.mark.skipif(not fork_server.supported(), reason="needs Linux pidfds (5.3+)")
def test_a_job_process_of_the_fork_server_has_the_dispositions_of_one_the_worker_forks(worker_handlers):
    expected = ["SIG_DFL"] * len(process_signals.JOB_DEFAULT) + ["SIG_IGN"] * len(process_signals.JOB_IGNORED)
    read_end, write_end = os.pipe()
    prepare = functools.partial(child.prepare_fork_server, os.getpid())
    server = ForkServer.start(_reporting_dispositions(write_end, served=True), prepare=prepare)
    try:
        process = JobProcess.spawn(_reporting_dispositions(write_end, served=False))
        process.reap(block=True)
        process.close()
        assert json.loads(os.read(read_end, 200)) == expected
        served = server.spawn()
        served.reap(block=True)
        served.close()
        assert json.loads(os.read(read_end, 200)) == expected
    finally:
        server.stop()
        os.close(read_end)
        os.close(write_end)
