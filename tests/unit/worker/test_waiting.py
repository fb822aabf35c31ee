"""What wakes a waiting worker: every way our code pushes onto an empty queue announces it.

The waiter itself (a subscription, select) is tested on a real Redis, in
tests/integration/worker/test_waiting.py.
"""

from __future__ import annotations

import pytest

from django_resque import delayed, keys, pruning
from django_resque.failure import api as failures
from django_resque.failure import from_exception, save
from django_resque.payload import build
from django_resque.queue import priority, watches
from django_resque.scheduler import mover, runs
from django_resque.scheduler.schedule import parse
from tests.support import jobs
from tests.support import tasks as test_tasks

NOW = 2_000_000_000


@pytest.fixture
def announced(fake_redis):
    """announced() -> the queue names published on the wake channel since the last call."""
    subscription = fake_redis.pubsub()
    subscription.subscribe(keys.wake_channel())
    assert subscription.get_message(timeout=1)["type"] == "subscribe"

    def read() -> list[str]:
        names = []
        while (message := subscription.get_message(timeout=0.01)) is not None:
            names.append(message["data"].decode())
        return names

    yield read
    subscription.close()


def test_delay_announces_a_push_onto_an_empty_queue_only(announced):
    jobs.remember.enqueue_to("q", 1)
    jobs.remember.enqueue_to("q", 2)  # q was not empty: a waiting worker already knows
    assert announced() == ["q"]


def test_enqueue_many_announces_each_queue_once(announced):
    jobs.remember.delay_many([(1,), (2,)])
    jobs.add.delay_many([(1, 2)])
    assert announced() == ["test", "test"]  # one per call: a MULTI cannot tell empty from not


def test_a_unique_job_announces_its_push(announced):
    jobs.unique_note.delay(1)
    assert announced() == ["test"]


def test_a_retried_failure_announces_its_queue(fake_redis, announced):
    for index in range(2):
        try:
            raise KeyError(index)
        except KeyError as exc:
            save(from_exception(exc, {"class": "Job", "args": [index]}, "host:1:q", f"retry-{index}"))
    failures.retry(0, fake_redis.lindex(keys.failed(), 0))
    assert announced() == ["retry-0"]
    failures.retry_all()
    assert announced() == ["retry-1"]  # retry-0 still holds its first retry


def test_a_dead_workers_requeued_job_announces_its_queue(fake_redis, settings, announced):
    settings.RESQUE = {**settings.RESQUE, "DIRTY_EXIT": "requeue"}
    record = (
        '{"queue":"q","run_at":"2026-11-22T13:09:08Z","payload":{"class":"tests.support.jobs.remember","args":[1]}}'
    )
    fake_redis.set(keys.worker("w:1:q"), record)
    pruning.prune("w:1:q")
    assert announced() == ["q"]


def test_due_delayed_jobs_announce_their_queues(announced):
    delayed.schedule(NOW - 10, "a", build("Job", [1]))
    delayed.schedule(NOW - 10, "a", build("Job", [2]))
    delayed.schedule(NOW - 5, "b", build("Job", [3]))
    delayed.schedule(NOW + 50, "c", build("Job", [4]))
    mover.enqueue_due(NOW)
    assert announced() == ["a", "b"]
    delayed.enqueue_now(NOW + 50, delayed.items_at(NOW + 50)[0].raw)
    assert announced() == ["c"]


def test_a_recurring_schedule_announces_its_run(fake_redis, announced):
    entry = parse("hourly", {"cron": "0 * * * *", "class": "tests.support.jobs.remember", "args": ["tick"]})
    hour = 1_800_000_000
    fake_redis.hset(keys.schedule_last_run(), "hourly", hour - 60)
    assert runs.handle(entry, hour - 60, hour + 1)
    assert announced() == ["test"]


def test_watches_names_and_globs_as_the_reserve_script_does():
    assert watches(["a", "tenant-*"], "tenant-7")
    assert watches(["a?"], "ab") and not watches(["a?"], "abc")
    assert watches(["*"], "line\nbreak")
    assert not watches(["mail"], "mail2") and not watches(["tenant-*"], "other")


def test_a_django_task_announces_its_queue(settings, announced):
    settings.TASKS = {"default": {"BACKEND": "django_resque.backends.ResqueBackend", "QUEUES": ["default"]}}
    test_tasks.noop_task.enqueue()
    assert announced() == ["default"]


def test_priority_sorts_queues_as_the_reserve_script_looks_at_them():
    patterns = ["critical", "mail-*", "low"]
    names = ["low", "mail-b", "critical", "mail-a", "elsewhere"]
    expected = ["critical", "mail-a", "mail-b", "low", "elsewhere"]
    assert sorted(names, key=lambda name: priority(patterns, name)) == expected
    assert sorted(["b", "c", "a"], key=lambda name: priority(["*"], name)) == ["a", "b", "c"]
