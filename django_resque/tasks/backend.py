"""``ResqueBackend``: Django's Tasks framework on Resque queues.

TASKS = {
    "default": {
        "BACKEND": "django_resque.backends.ResqueBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {"RESULT_TTL": 86400},
    }
}

``@task`` functions are registered as Resque jobs under their module path when the
framework validates them (at decoration), so a worker runs only tasks the app defined.
Results live in Redis (``tasks/results.py``); see docs/tasks.md.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .. import conf, delayed, registry
from .. import queue as queue_api
from ..connection import get_redis, translate_errors
from ..enqueueing import run_eagerly
from ..exceptions import UnknownJobError
from ..payload import Payload
from . import results, runner
from .compat import (
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_enqueued,
)
from .priority import PriorityBands, parse_bands

logger = logging.getLogger(__name__)

DEFAULT_RESULT_TTL = 24 * 60 * 60
KNOWN_OPTIONS = ("RESULT_TTL", "PRIORITY_QUEUES")


class ResqueBackend(BaseTaskBackend):
    """Enqueue Django tasks as Resque jobs; keep their results in Redis."""

    supports_defer = True  # run_after -> resque-scheduler's delayed queue
    supports_async_task = True  # coroutines run with async_to_sync in the worker
    supports_get_result = True  # results in Redis, readable from any process
    supports_priority = True  # priority bands -> queues, taken in order by the worker

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.result_ttl: int = _parse_ttl(self.options.get("RESULT_TTL", DEFAULT_RESULT_TTL), alias)
        self.priority_bands: PriorityBands = parse_bands(
            self.options.get("PRIORITY_QUEUES"), f"TASKS[{alias!r}]['OPTIONS']['PRIORITY_QUEUES']"
        )
        unknown = sorted(set(self.options) - set(KNOWN_OPTIONS))
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown TASKS[{alias!r}]['OPTIONS'] key(s) {', '.join(unknown)}; known: {', '.join(KNOWN_OPTIONS)}."
            )
        runner.listen_for_worker_ids()

    def check(self, **kwargs: Any) -> Iterator[CheckMessage]:
        """The framework's checks, and django_resque in INSTALLED_APPS (else no worker exists)."""
        yield from super().check(**kwargs)
        if not apps.is_installed(registry.APP):
            yield Error(
                f"TASKS[{self.alias!r}] uses ResqueBackend, but 'django_resque' is not in INSTALLED_APPS: "
                "tasks would be enqueued and never run (manage.py resque_work is not even a command).",
                hint="Add 'django_resque' to INSTALLED_APPS.",
                id="django_resque.E003",
            )

    def validate_task(self, task: Task) -> None:
        """The framework's checks, a valid Resque queue, then register the task as a job."""
        super().validate_task(task)
        try:
            queue_api.check_name(self.queue_for(task))
        except ValueError as exc:
            raise InvalidTask(f"Task {task.module_path} cannot be queued: {exc}") from exc
        registry.register(runner.TaskJob(task, self))

    def queue_for(self, task: Task) -> str:
        """The Resque queue of ``task``: its queue_name in the band of its priority."""
        return self.priority_bands.queue_for(task.queue_name, task.priority)

    def worker_queues(self) -> list[str]:
        """The ``resque_work`` queue list serving this backend, highest priority first."""
        return self.priority_bands.worker_queues(sorted(self.queues))

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        # TaskResult normalizes the arguments (TypeError "Unsupported type" otherwise);
        # build_payload then refuses what is not plain JSON (NaN, non-string keys).
        result = runner.new_result(task, self.alias, args, kwargs, status=TaskResultStatus.READY)
        payload = runner.build_payload(result)
        object.__setattr__(result, "enqueued_at", timezone.now())
        if conf.get("ALWAYS_EAGER"):
            return self._run_eagerly(result, payload)
        self._save_and_queue(result, payload)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        """The result from Redis; TaskResultDoesNotExist if unknown or expired."""
        stored = results.load(result_id)
        if stored is None:
            raise TaskResultDoesNotExist(result_id)
        return stored.to_task_result(self._task_of(stored), self.alias)

    def _save_and_queue(self, result: TaskResult, payload: Payload) -> None:
        """The READY result and the job (queued or delayed) in one MULTI: all or nothing."""
        task = result.task
        pipe = get_redis().pipeline(transaction=True)
        results.add_ready(pipe, result, self.result_ttl)
        late: list[str] = []  # queues to announce after the MULTI (Redis Cluster)
        if task.run_after is not None and task.run_after > timezone.now():
            # Whole seconds, rounded up: the task never runs before run_after.
            delayed.add_to_schedule(pipe, math.ceil(task.run_after.timestamp()), self.queue_for(task), payload)
        else:
            late = queue_api.add_push(pipe, self.queue_for(task), payload)
        with translate_errors():
            pipe.execute()
        queue_api.announce(late)

    def _run_eagerly(self, result: TaskResult, payload: Payload) -> TaskResult:
        """RESQUE['ALWAYS_EAGER']: run now, as every django-resque job does; errors propagate."""
        pipe = get_redis().pipeline(transaction=True)
        results.add_ready(pipe, result, self.result_ttl)
        with translate_errors():
            pipe.execute()
        task_enqueued.send(type(self), task_result=result)
        run_eagerly(payload)
        return self.get_result(result.id)

    def _task_of(self, stored: results.StoredResult) -> Task:
        """The registered task of a stored result, with the options it was enqueued with."""
        job = registry.lookup(stored.task_path)
        if not isinstance(job, runner.TaskJob):
            raise UnknownJobError(stored.task_path)
        return _with_options(job.task, stored, self.alias)


def _with_options(task: Task, stored: results.StoredResult, alias: str) -> Task:
    changes: dict[str, Any] = {"backend": alias, "run_after": stored.run_after}
    if stored.queue_name is not None:
        changes["queue_name"] = stored.queue_name
    if stored.priority is not None:
        changes["priority"] = stored.priority
    if all(getattr(task, name) == value for name, value in changes.items()):
        return task
    try:
        return dataclasses.replace(task, **changes)
    except InvalidTask as exc:
        # Settings changed since it was enqueued (e.g. QUEUES); the result is still readable.
        logger.debug("Result of %s shown with the task's current options: %s", task.module_path, exc)
        return task


def _parse_ttl(value: Any, alias: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ImproperlyConfigured(
            f"TASKS[{alias!r}]['OPTIONS']['RESULT_TTL'] must be a positive number of seconds, got {value!r}."
        )
    return value
