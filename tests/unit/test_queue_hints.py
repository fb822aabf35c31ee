"""Hints for queue names nothing uses: typos in enqueue_to and in a worker's --queues."""

from __future__ import annotations

import logging

import pytest

from django_resque import job, queue_hints, registry
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs


@pytest.fixture
def mail_job():
    @job(queue="mail", name="hints.send_mail")
    def send_mail(to: str) -> None: ...

    queue_hints._hinted.clear()
    yield send_mail
    registry.unregister("hints.send_mail")
    queue_hints._hinted.clear()


def hints(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_resque.queue_hints"]


def test_enqueue_to_a_misspelt_queue_says_which_one_was_meant_once(fake_redis, mail_job, caplog):
    with caplog.at_level(logging.WARNING, logger="django_resque.queue_hints"):
        mail_job.enqueue_to("mial", "a@example.com")
        mail_job.enqueue_to("mial", "b@example.com")
    assert hints(caplog) == [
        "Enqueued on queue 'mial', which no registered job uses (did you mean 'mail'?); "
        "only a worker started on 'mial' (or '*') runs it."
    ]
    assert fake_redis.llen("resque:queue:mial") == 2  # a hint, not a refusal


def test_enqueue_to_a_queue_unlike_any_other_or_used_by_a_job_says_nothing(fake_redis, mail_job, caplog):
    with caplog.at_level(logging.WARNING, logger="django_resque.queue_hints"):
        mail_job.enqueue_to("urgent-batch-exports", "a@example.com")
        jobs.remember.enqueue_to("mail", 1)
        mail_job.delay("c@example.com")
    assert hints(caplog) == []


def test_a_worker_on_a_queue_that_never_existed_says_so_at_start(fake_redis, mail_job, caplog):
    jobs.remember.enqueue_to("reports", 1)
    with caplog.at_level(logging.WARNING, logger="django_resque.queue_hints"):
        Worker(WorkerOptions(queues=["mial", "reports", "mail", "mail_*", "*"], burst=True, fork=False)).work()
    assert hints(caplog) == [
        "Queue 'mial' has never had a job and no registered job uses it (did you mean 'mail'?); working it anyway."
    ]


def test_a_worker_on_the_default_queue_says_nothing_though_no_job_uses_it(
    fake_redis, mail_job, caplog, settings, monkeypatch
):
    settings.RESQUE = {**settings.RESQUE, "DEFAULT_QUEUE": "everything-else"}
    monkeypatch.setattr(registry, "all_jobs", lambda: {"hints.send_mail": mail_job})  # every job names its queue
    with caplog.at_level(logging.WARNING, logger="django_resque.queue_hints"):
        Worker(WorkerOptions(queues=["mail", "everything-else"], burst=True, fork=False)).work()
    assert hints(caplog) == []


def test_a_queue_name_another_program_wrote_in_no_utf8_never_stops_a_worker_starting(fake_redis, mail_job, caplog):
    fake_redis.sadd("resque:queues", b"\xff\xfe")
    with caplog.at_level(logging.WARNING, logger="django_resque.queue_hints"):
        Worker(WorkerOptions(queues=["mial"], burst=True, fork=False)).work()
    assert hints(caplog) == [
        "Queue 'mial' has never had a job and no registered job uses it (did you mean 'mail'?); working it anyway."
    ]
