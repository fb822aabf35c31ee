"""A job process's start: the DB and cache connections it inherits are dropped, unused."""

from __future__ import annotations

import os

import pytest
from django.core.cache import caches
from django.db import connections

from django_resque.worker import child, fork_server
from django_resque.worker.fork import JobProcess
from django_resque.worker.fork_server import ForkServer


def _reporting(write_end: int, inherited_connections: bool):
    """A job process target: after its start, write how many DB/cache connections it holds."""

    def target(channel):
        child.prepare_after_fork(inherited_connections)
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
@pytest.mark.parametrize(("prepare", "held"), [(child.drop_inherited_connections, 0), (lambda: None, 2)])
def test_the_fork_server_drops_them_once_for_all_its_job_processes(parent_connections, prepare, held):
    read_end, write_end = os.pipe()
    server = ForkServer.start(_reporting(write_end, inherited_connections=False), prepare=prepare)
    try:
        assert _held_in(server.spawn(), read_end) == held  # 2: nothing dropped them
    finally:
        server.stop()
        os.close(read_end)
        os.close(write_end)
