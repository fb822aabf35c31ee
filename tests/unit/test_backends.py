"""ResqueBackend on fakeredis: the framework's generic backend tests, ported, plus ours.

The worker is simulated by popping a payload and calling the registered job's
``perform_payload``, exactly what ``resque_work`` does in its forked child.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import sys

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from django_resque import keys, registry
from django_resque import payload as payload_codec
from django_resque.backends import ResqueBackend
from django_resque.exceptions import JobArgumentError, UnknownJobError
from django_resque.tasks import runner
from django_resque.tasks.compat import (
    TASK_MAX_PRIORITY,
    TASK_MIN_PRIORITY,
    InvalidTask,
    Task,
    TaskResultDoesNotExist,
    TaskResultMismatch,
    TaskResultStatus,
    task,
    task_backends,
    task_enqueued,
    task_finished,
    task_started,
)
from tests.support import tasks as test_tasks

BACKEND = "django_resque.backends.ResqueBackend"


def configure(settings, **params):
    settings.TASKS = {"default": {"BACKEND": BACKEND, "QUEUES": ["default", "tasks", "queue_1"], **params}}


def queued(fake_redis, queue="default"):
    return [json.loads(raw) for raw in fake_redis.lrange(keys.queue(queue), 0, -1)]


def work_one(fake_redis, queue="default"):
    """What the worker's child does with one job: lookup by name, perform_payload."""
    raw = fake_redis.lpop(keys.queue(queue))
    assert raw is not None, f"nothing queued on {queue!r}"
    payload = payload_codec.decode(raw)
    return registry.lookup(payload.name).perform_payload(payload)


# Backend and capability flags ---------------------------------------------------------


def test_default_backend_is_resque_with_every_capability():
    backend = task_backends["default"]
    assert isinstance(backend, ResqueBackend)
    assert backend.supports_defer
    assert backend.supports_async_task
    assert backend.supports_get_result
    assert backend.supports_priority


def test_task_decorator_makes_tasks_and_registers_them_under_their_module_path():
    for candidate in (test_tasks.noop_task, test_tasks.noop_task_async, test_tasks.noop_task_from_bare_decorator):
        assert isinstance(candidate, Task)
        job = registry.lookup(candidate.module_path)
        assert isinstance(job, runner.TaskJob)
        assert job.task.func is candidate.func


# Enqueue --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["noop_task", "noop_task_async"])
def test_enqueue_returns_a_ready_result_and_queues_a_resque_payload(fake_redis, name):
    target = getattr(test_tasks, name)
    result = target.enqueue(1, two=3)
    assert result.status == TaskResultStatus.READY
    assert result.task == target
    assert (result.args, result.kwargs) == ([1], {"two": 3})
    assert result.enqueued_at is not None
    assert result.started_at is None and result.finished_at is None
    with pytest.raises(ValueError, match="Task has not finished yet"):
        result.return_value  # noqa: B018
    [raw] = fake_redis.lrange(keys.queue("default"), 0, -1)
    assert raw.startswith(b'{"class":"tests.support.tasks.%s","args":[' % name.encode())
    assert json.loads(raw) == {
        "class": target.module_path,
        "args": [1, {"two": 3}],
        "kwargs": True,
        "result_id": result.id,
    }
    assert fake_redis.sismember(keys.queues(), "default")


def test_aenqueue(fake_redis):
    result = asyncio.run(test_tasks.noop_task.aenqueue())
    assert result.status == TaskResultStatus.READY
    assert (result.args, result.kwargs) == ([], {})
    assert [item["result_id"] for item in queued(fake_redis)] == [result.id]


def test_enqueue_uses_the_task_queue_name(fake_redis):
    result = test_tasks.add_numbers.enqueue(1, 2)
    assert [item["result_id"] for item in queued(fake_redis, "tasks")] == [result.id]
    other = test_tasks.noop_task.using(queue_name="queue_1").enqueue()
    assert [item["result_id"] for item in queued(fake_redis, "queue_1")] == [other.id]


def test_non_json_argument_is_refused_and_nothing_is_stored(fake_redis):
    with pytest.raises(TypeError, match="Unsupported type"):
        test_tasks.noop_task.enqueue(dt.datetime.now())
    with pytest.raises(JobArgumentError, match="argument 0"):
        test_tasks.noop_task.enqueue(float("nan"))
    with pytest.raises(TypeError, match="Unsupported type"):
        asyncio.run(test_tasks.noop_task.aenqueue(dt.datetime.now()))
    assert fake_redis.keys("*") == []


def test_result_and_job_are_written_in_one_transaction(fake_redis, monkeypatch):
    def broken_push(pipe, queue, payload):
        raise RuntimeError("push failed")

    monkeypatch.setattr("django_resque.queue.add_push", broken_push)
    with pytest.raises(RuntimeError):
        test_tasks.noop_task.enqueue()
    assert fake_redis.keys("*") == []


def test_enqueue_sends_task_enqueued(fake_redis):
    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((sender, task_result.id))

    task_enqueued.connect(receiver)
    try:
        result = test_tasks.noop_task.enqueue()
    finally:
        task_enqueued.disconnect(receiver)
    assert seen == [(ResqueBackend, result.id)]


# Validation (the framework's checks, raised at decoration or .using()) -------------------


def test_naive_run_after_is_refused():
    with pytest.raises(InvalidTask, match="run_after must be an aware datetime."):
        test_tasks.noop_task.using(run_after=dt.datetime.now())


@pytest.mark.parametrize("priority", [TASK_MIN_PRIORITY - 1, TASK_MAX_PRIORITY + 1, 3.1])
def test_invalid_priority_is_refused(priority):
    with pytest.raises(InvalidTask, match="priority must be a whole number between"):
        test_tasks.noop_task.using(priority=priority)


def test_extreme_priorities_are_accepted():
    for priority in (TASK_MIN_PRIORITY, 0, TASK_MAX_PRIORITY):
        assert test_tasks.noop_task.using(priority=priority).priority == priority


def test_unknown_queue_name_is_refused():
    with pytest.raises(InvalidTask, match="Queue 'queue-2' is not valid for backend."):
        test_tasks.noop_task.using(queue_name="queue-2")


def test_any_queue_is_allowed_with_empty_queues_but_it_must_be_a_valid_resque_queue(settings, fake_redis):
    configure(settings, QUEUES=[])
    assert test_tasks.noop_task.using(queue_name="queue-2").queue_name == "queue-2"
    with pytest.raises(InvalidTask, match="may not contain ','"):
        test_tasks.noop_task.using(queue_name="a,b")


def test_functions_not_at_module_level_are_refused_and_not_registered():
    def local_function():
        return 1

    for invalid in (any, local_function):
        with pytest.raises(InvalidTask, match="Task function must be defined at a module level."):
            task()(invalid)
    assert not any("local_function" in name for name in registry.all_jobs())


def test_takes_context_needs_a_context_argument():
    with pytest.raises(InvalidTask, match="Task takes context but does not have a first argument of 'context'."):
        task(takes_context=True)(test_tasks.calculate_meaning_of_life.func)


def test_using_keeps_the_original_task():
    now = timezone.now()
    assert test_tasks.noop_task.using(priority=1).priority == 1
    assert test_tasks.noop_task.priority == 0
    assert test_tasks.noop_task.using(run_after=now).run_after == now
    assert test_tasks.noop_task.run_after is None


# Results --------------------------------------------------------------------------------


def test_get_result_equals_the_enqueued_result(fake_redis):
    result = task_backends["default"].enqueue(test_tasks.noop_task, (), {})
    assert test_tasks.noop_task.get_result(result.id) == result
    assert async_to_sync(test_tasks.noop_task.aget_result)(result.id) == result


def test_get_result_keeps_the_options_it_was_enqueued_with(fake_redis):
    when = timezone.now() + dt.timedelta(hours=1)
    result = test_tasks.noop_task.using(priority=5, queue_name="queue_1", run_after=when).enqueue(7)
    fetched = task_backends["default"].get_result(result.id)
    assert fetched == result
    assert (fetched.task.priority, fetched.task.queue_name, fetched.task.run_after) == (5, "queue_1", when)


def test_get_missing_result(fake_redis):
    with pytest.raises(TaskResultDoesNotExist):
        test_tasks.noop_task.get_result("123")
    with pytest.raises(TaskResultDoesNotExist):
        async_to_sync(test_tasks.noop_task.aget_result)("123")


def test_get_result_of_another_task_is_a_mismatch(fake_redis):
    result = test_tasks.noop_task_async.enqueue()
    with pytest.raises(TaskResultMismatch, match="Task does not match"):
        test_tasks.noop_task.get_result(result.id)


def test_result_of_an_unregistered_task_is_never_imported(fake_redis):
    fake_redis.hset(
        keys.job_record("evil"), mapping={"task": "evil_module_never_imported.run", "status": "READY", "args": "[]"}
    )
    with pytest.raises(UnknownJobError, match="evil_module_never_imported.run"):
        task_backends["default"].get_result("evil")
    assert "evil_module_never_imported" not in sys.modules


def test_refresh_after_the_worker_ran_it(fake_redis):
    result = test_tasks.calculate_meaning_of_life.enqueue()
    assert work_one(fake_redis) == 42
    assert result.status == TaskResultStatus.READY
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
    assert result.is_finished
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    assert len(result.worker_ids) == 1 and result.attempts == 1
    assert result.errors == []
    async_to_sync(result.arefresh)()
    assert result.return_value == 42


def test_arguments_and_keyword_arguments_reach_the_task(fake_redis):
    result = test_tasks.add_numbers.enqueue(1, 2, scale=3)
    work_one(fake_redis, "tasks")
    result.refresh()
    assert result.return_value == {"sum": 9}


def test_async_task_runs_in_the_worker(fake_redis):
    result = test_tasks.async_add.enqueue(2, 3)
    assert work_one(fake_redis) == 5
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5


def test_failing_task_is_failed_with_its_error_and_reraised_for_resque(fake_redis):
    result = test_tasks.failing_task_value_error.enqueue()
    with pytest.raises(ValueError, match="This task failed due to ValueError"):
        work_one(fake_redis)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.finished_at is not None
    [error] = result.errors
    assert error.exception_class_path == "builtins.ValueError"
    assert error.exception_class is ValueError
    assert "This task failed due to ValueError" in error.traceback
    assert "failing_task_value_error" in error.traceback
    with pytest.raises(ValueError, match="Task failed"):
        result.return_value  # noqa: B018


def test_system_exit_in_a_task_is_a_failure(fake_redis):
    result = test_tasks.failing_task_system_exit.enqueue()
    with pytest.raises(SystemExit):
        work_one(fake_redis)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.SystemExit"


def test_a_return_value_that_is_not_json_fails_the_task(fake_redis):
    result = test_tasks.returns_non_json.enqueue()
    with pytest.raises(TypeError, match="Unsupported type"):
        work_one(fake_redis)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.TypeError"


def test_a_retried_task_counts_attempts_and_keeps_earlier_errors(fake_redis):
    result = test_tasks.failing_task_value_error.enqueue()
    raw = fake_redis.lindex(keys.queue("default"), 0)
    fake_redis.rpush(keys.queue("default"), raw)  # the same payload again, as a retry pushes it
    for _attempt in range(2):
        with pytest.raises(ValueError):
            work_one(fake_redis)
    result.refresh()
    assert result.attempts == 2
    assert len(result.errors) == 2


def test_takes_context_gets_the_running_result(fake_redis):
    result = test_tasks.get_task_id.enqueue()
    assert work_one(fake_redis) == result.id
    other = test_tasks.context_attempt.enqueue()
    assert work_one(fake_redis) == {"attempt": 1, "status": "RUNNING"}
    other.refresh()
    assert other.return_value == {"attempt": 1, "status": "RUNNING"}


def test_started_and_finished_signals_are_sent_by_the_worker(fake_redis):
    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((sender, task_result.status))

    task_started.connect(receiver)
    task_finished.connect(receiver)
    try:
        test_tasks.calculate_meaning_of_life.enqueue()
        work_one(fake_redis)
    finally:
        task_started.disconnect(receiver)
        task_finished.disconnect(receiver)
    assert seen == [(ResqueBackend, TaskResultStatus.RUNNING), (ResqueBackend, TaskResultStatus.SUCCESSFUL)]


def test_the_worker_id_announced_by_job_started_is_recorded(fake_redis):
    from django_resque.signals import job_started

    result = test_tasks.calculate_meaning_of_life.enqueue()
    raw = fake_redis.lpop(keys.queue("default"))
    payload = payload_codec.decode(raw)
    job = registry.lookup(payload.name)
    job_started.send(sender=job, queue="default", payload=payload, worker_id="host:123:default")
    job.perform_payload(payload)
    result.refresh()
    assert result.worker_ids == ["host:123:default"]


def test_results_expire_after_result_ttl(settings, fake_redis):
    configure(settings, OPTIONS={"RESULT_TTL": 60})
    result = test_tasks.failing_task_value_error.enqueue()
    assert 0 < fake_redis.ttl(keys.job_record(result.id)) <= 60
    with pytest.raises(ValueError):
        work_one(fake_redis)
    for key in (keys.job_record(result.id), keys.job_record_workers(result.id), keys.job_record_errors(result.id)):
        assert 0 < fake_redis.ttl(key) <= 60


def test_default_result_ttl_is_one_day(fake_redis):
    result = test_tasks.noop_task.enqueue()
    assert 86000 < fake_redis.ttl(keys.job_record(result.id)) <= 86400


def test_a_result_that_expired_while_queued_is_recreated_by_the_worker(fake_redis):
    result = test_tasks.add_numbers.enqueue(2, 2)
    fake_redis.delete(keys.job_record(result.id))
    work_one(fake_redis, "tasks")
    fetched = test_tasks.add_numbers.get_result(result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL
    assert fetched.return_value == {"sum": 4}
    assert fetched.args == [2, 2]


def test_a_payload_without_result_id_still_runs(fake_redis, caplog):
    payload = payload_codec.build(test_tasks.get_task_id.module_path, [])
    job = registry.lookup(payload.name)
    assert isinstance(job.perform_payload(payload), str)
    assert "no result is kept" in caplog.text
    assert fake_redis.keys("*django_resque:job:*") == []


def test_a_payload_naming_an_unregistered_path_is_refused(fake_redis):
    for name in ("os.system", "django_resque.tasks.compat.task", "tests.support.tasks.TaskContext"):
        with pytest.raises(UnknownJobError):
            registry.lookup(name)


# run_after (resque-scheduler's delayed queue) ---------------------------------------------


def test_run_after_in_the_future_goes_to_the_delayed_queue(fake_redis):
    when = timezone.now() + dt.timedelta(minutes=10, microseconds=500)
    result = test_tasks.noop_task.using(run_after=when).enqueue(1)
    assert queued(fake_redis) == []
    epoch = math.ceil(when.timestamp())
    assert fake_redis.zrange(keys.delayed_schedule(), 0, -1, withscores=True) == [(str(epoch).encode(), epoch)]
    [item] = fake_redis.lrange(keys.delayed(epoch), 0, -1)
    assert json.loads(item) == {
        "class": test_tasks.noop_task.module_path,
        "args": [1],
        "result_id": result.id,
        "queue": "default",
    }
    assert test_tasks.noop_task.get_result(result.id).status == TaskResultStatus.READY


def test_run_after_in_the_past_is_queued_at_once(fake_redis):
    result = test_tasks.noop_task.using(run_after=timezone.now() - dt.timedelta(seconds=1)).enqueue()
    assert [item["result_id"] for item in queued(fake_redis)] == [result.id]
    assert fake_redis.zcard(keys.delayed_schedule()) == 0


# Priority -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "queue"), [(100, "default-high"), (1, "default-high"), (0, "default"), (-1, "default-low")]
)
def test_priority_picks_the_queue_band(fake_redis, priority, queue):
    result = test_tasks.noop_task.using(priority=priority).enqueue()
    assert [item["result_id"] for item in queued(fake_redis, queue)] == [result.id]


def test_decorated_priority(fake_redis):
    test_tasks.urgent_task.enqueue()
    assert len(queued(fake_redis, "default-high")) == 1


def test_worker_queues_lists_every_band_highest_first():
    backend = task_backends["default"]
    assert backend.worker_queues() == [
        "default-high",
        "queue_1-high",
        "tasks-high",
        "default",
        "queue_1",
        "tasks",
        "default-low",
        "queue_1-low",
        "tasks-low",
    ]


def test_priority_queues_option(settings, fake_redis):
    configure(settings, QUEUES=["mail"], OPTIONS={"PRIORITY_QUEUES": [[-100, "{queue}"], [50, "urgent"]]})
    test_tasks.noop_task.using(queue_name="mail", priority=60).enqueue()
    test_tasks.noop_task.using(queue_name="mail", priority=49).enqueue()
    assert len(queued(fake_redis, "urgent")) == 1
    assert len(queued(fake_redis, "mail")) == 1
    assert task_backends["default"].worker_queues() == ["urgent", "mail"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"RESULT_TTL": 0}, "RESULT_TTL"),
        ({"RESULT_TTL": "1d"}, "RESULT_TTL"),
        ({"PRIORITY_QUEUES": []}, "non-empty list"),
        ({"PRIORITY_QUEUES": [[0, "{queue}"]]}, "band starting at -100"),
        ({"PRIORITY_QUEUES": [[-100, "{queue}"], [-100, "x"]]}, "same minimum"),
        ({"PRIORITY_QUEUES": [[-100, "{name}"]]}, "placeholder"),
        ({"PRIORITY_QUEUES": [[-101, "{queue}"]]}, "whole number"),
        ({"PRIORITY_QUEUES": [-100]}, "pair"),
        ({"PRIORITY_QUEUES": [[-100, ""]]}, "non-empty string"),
        ({"RESULTS_TTL": 5}, "Unknown"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        ResqueBackend("bad", {"OPTIONS": options})


# RESQUE['ALWAYS_EAGER'] -----------------------------------------------------------------


def test_always_eager_runs_at_enqueue(settings, fake_redis):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    result = test_tasks.add_numbers.enqueue(1, 1)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"sum": 2}
    assert queued(fake_redis, "tasks") == []
    with pytest.raises(ValueError):
        test_tasks.failing_task_value_error.enqueue()


def test_the_backend_check_reports_django_resque_missing_from_installed_apps(settings):
    backend = ResqueBackend("default", {"QUEUES": ["default"], "OPTIONS": {}})
    assert [message.id for message in backend.check()] == []
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "django_resque"]
    assert [message.id for message in backend.check()] == ["django_resque.E003"]
