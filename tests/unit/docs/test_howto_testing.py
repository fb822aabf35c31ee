"""The recipes of docs/howto-testing.md work as written."""

from __future__ import annotations

import json

import fakeredis
import pytest

import django_resque
from django_resque import connection
from django_resque.exceptions import JobArgumentError
from django_resque.failure import api as failures
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs


@pytest.fixture
def fake_resque():
    connection.set_redis(fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    yield
    connection.reset()


def work_off(queues=("*",)):
    """Run every queued job in this process, then return."""
    Worker(WorkerOptions(queues=list(queues), burst=True, fork=False)).work()


def done() -> list[object]:
    return [json.loads(item) for item in connection.get_redis().lrange(jobs.DONE_KEY, 0, -1)]


def test_always_eager_runs_at_once_after_a_json_round_trip(settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    assert jobs.add.delay(2, 3, scale=10).status == "finished"
    assert done() == [{"sum": 50}]
    assert django_resque.size("test") == 0
    with pytest.raises(JobArgumentError):
        jobs.remember.delay(object())


def test_always_eager_lets_the_job_exception_reach_the_caller(settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    with pytest.raises(jobs.Boom):
        jobs.explode.delay("bad")
    assert failures.count() == 0


def test_fakeredis_shows_what_was_enqueued(fake_resque):
    jobs.remember.delay(42)
    assert django_resque.size("test") == 1
    [payload] = django_resque.peek("test", 0, 10)
    assert (payload.name, payload.args) == ("tests.support.jobs.remember", [42])


def test_a_burst_worker_without_fork_works_off_the_queue_with_failure_handling(fake_resque):
    jobs.add.delay(1, 2)
    jobs.explode.delay("bad")
    work_off()
    assert done() == [{"sum": 3}]
    assert failures.count(exception="Boom") == 1
    assert django_resque.size("test") == 0
