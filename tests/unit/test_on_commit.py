"""Jobs enqueued on_commit: together in one round trip at commit, in order, savepoints honoured."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from django_resque import keys, queue
from django_resque.signals import job_enqueued
from tests.support import jobs

pytestmark = pytest.mark.django_db(transaction=True)


def _values(fake_redis, name="test"):
    return [json.loads(raw)["args"][0] for raw in fake_redis.lrange(keys.queue(name), 0, -1)]


@pytest.fixture
def round_trips(monkeypatch):
    """How many times jobs went to Redis: pushes one by one, and MULTI batches."""
    calls = []
    real_push, real_many = queue.push, queue.push_many_encoded
    monkeypatch.setattr(queue, "push", lambda *a: (calls.append("push"), real_push(*a))[1])
    monkeypatch.setattr(queue, "push_many_encoded", lambda jobs_: (calls.append("many"), real_many(jobs_))[1])
    return calls


def test_ten_jobs_of_one_transaction_go_in_one_round_trip_at_commit(fake_redis, round_trips):
    with transaction.atomic():
        for n in range(10):
            jobs.remember.on_commit(n)
        assert fake_redis.llen(keys.queue("test")) == 0
        assert len(connection.run_on_commit) == 1  # one callback for the ten
    assert round_trips == ["many"]
    assert _values(fake_redis) == list(range(10))


def test_jobs_of_a_rolled_back_savepoint_are_dropped_and_the_rest_keep_their_order(fake_redis):
    with transaction.atomic():
        jobs.remember.on_commit(1)
        with pytest.raises(RuntimeError), transaction.atomic():
            jobs.remember.on_commit("dropped")
            raise RuntimeError("rollback")
        jobs.remember.on_commit(2)
        with transaction.atomic():
            jobs.remember.on_commit(3)
        jobs.remember.on_commit(4)
    assert _values(fake_redis) == [1, 2, 3, 4]


def test_a_batch_never_takes_a_job_past_another_callback(fake_redis):
    seen = []
    with transaction.atomic():
        jobs.remember.on_commit(1)
        transaction.on_commit(lambda: seen.append(fake_redis.llen(keys.queue("test"))))
        jobs.remember.on_commit(2)
    assert seen == [1]  # job 1 was pushed before the other callback ran, job 2 after
    assert _values(fake_redis) == [1, 2]


def test_a_rolled_back_transaction_pushes_nothing_and_the_next_one_starts_afresh(fake_redis):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.remember.on_commit("dropped")
        raise RuntimeError("rollback")
    with transaction.atomic():
        jobs.remember.on_commit("kept")
    assert _values(fake_redis) == ["kept"]


def test_outside_a_transaction_it_pushes_at_once(fake_redis):
    jobs.remember.on_commit(1)
    assert _values(fake_redis) == [1]


def test_every_job_of_a_batch_is_announced_to_receivers(fake_redis):
    received = []

    def receiver(sender, queue, payload, **kwargs):
        received.append(payload.args[0])

    job_enqueued.connect(receiver)
    try:
        with transaction.atomic():
            jobs.remember.on_commit(1)
            jobs.remember.on_commit(2)
    finally:
        job_enqueued.disconnect(receiver)
    assert received == [1, 2]


def test_unique_jobs_in_a_batch_still_take_their_locks(fake_redis):
    with transaction.atomic():
        jobs.unique_note.on_commit(1)
        jobs.unique_note.on_commit(1)  # a copy: dropped at commit
        jobs.remember.on_commit(2)
    assert [json.loads(raw)["args"][0] for raw in fake_redis.lrange(keys.queue("test"), 0, -1)] == [1, 2]


def test_eager_mode_runs_each_job_at_commit(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    with transaction.atomic():
        jobs.add.on_commit(1, 2)
        jobs.add.on_commit(3, 4)
        assert fake_redis.llen(jobs.DONE_KEY) == 0
    assert [json.loads(raw) for raw in fake_redis.lrange(jobs.DONE_KEY, 0, -1)] == [{"sum": 3}, {"sum": 7}]
