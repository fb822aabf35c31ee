"""The pre-forked job process's side: waiting for its job, dying with its parent."""

from __future__ import annotations

import os
import struct

import pytest

from django_resque.worker import prefork
from django_resque.worker.fork import ChildChannel

RECORD = b'{"queue":"test","run_at":"2026-11-25T10:00:00Z","payload":{"class":"tests.support.jobs.noop","args":[]}}'


@pytest.fixture
def channel():
    down_read, down_write = os.pipe()
    up_read, up_write = os.pipe()
    yield ChildChannel(up_write, down_read), down_write
    for fd in (down_read, up_read, up_write):
        os.close(fd)


def test_the_handed_record_becomes_the_reservation(channel, fake_redis):
    child_channel, down_write = channel
    os.write(down_write, struct.pack(">I", len(RECORD)) + RECORD)
    os.close(down_write)
    reservation = prefork.await_first_job(child_channel, os.getppid())
    assert reservation is not None
    assert (reservation.queue, reservation.name, reservation.record) == ("test", "tests.support.jobs.noop", RECORD)


def test_no_job_when_the_parent_closed_the_pipe(channel, fake_redis):
    child_channel, down_write = channel
    os.close(down_write)
    assert prefork.await_first_job(child_channel, os.getppid()) is None


def test_a_spare_connects_while_waiting_only_if_it_will_reserve_jobs_itself(channel, fake_redis, monkeypatch):
    child_channel, down_write = channel
    os.close(down_write)
    pinged = []
    monkeypatch.setattr(fake_redis, "ping", lambda: pinged.append(1))
    prefork.await_first_job(child_channel, os.getppid(), connect=False)
    assert pinged == []
    prefork.await_first_job(child_channel, os.getppid(), connect=True)
    assert pinged == [1]


def test_warm_up_survives_redis_being_away(monkeypatch, fake_redis):
    import redis

    def refuse():
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(fake_redis, "ping", refuse)
    prefork.warm_up()  # logged, not raised: the job's own commands will retry
