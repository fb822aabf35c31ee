"""The worker side: a Django task registered as a Resque job, and one attempt at running it.

``TaskJob`` is what ``registry.lookup(payload.name)`` returns for a task's module path;
the worker calls its ``perform_payload`` in the forked child, like any job. The payload
names the task and carries its arguments and result id; the code run is always the
function the app registered, never something named by Redis.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.crypto import get_random_string

from .. import payload as payload_codec
from ..job import Job
from ..payload import Payload, dumps
from ..signals import job_started, send
from . import results
from .compat import Task, TaskContext, TaskError, TaskResult, TaskResultStatus, normalize_json
from .compat import task_finished as task_finished_signal
from .compat import task_started as task_started_signal

if TYPE_CHECKING:
    from .backend import ResqueBackend

logger = logging.getLogger(__name__)

# Extra payload key (Ruby ignores it): the id under which the result is kept.
RESULT_ID = "result_id"

# The worker id announced by the worker's job_started signal for the job about to run.
_announced_worker: ContextVar[str | None] = ContextVar("django_resque_task_worker", default=None)


class TaskJob(Job):
    """A Django Tasks task as a Resque job, named by the task's module path."""

    def __init__(self, task: Task, backend: ResqueBackend) -> None:
        super().__init__(task.call, name=task.module_path, queue=None, qualname=task.module_path, target=task)
        self.task = task
        self.backend = backend

    def perform_payload(self, payload: Payload) -> Any:
        return run(self.task, payload, self.backend)


def build_payload(result: TaskResult) -> Payload:
    """A Resque payload for ``result``: its task's module path, arguments and result id."""
    payload = payload_codec.build(result.task.module_path, result.args, result.kwargs)
    return Payload(payload.name, payload.args, {**payload.extra, RESULT_ID: result.id})


def run(task: Task, payload: Payload, backend: ResqueBackend) -> Any:
    """One attempt: RUNNING, call the task, then SUCCESSFUL or FAILED (and re-raise for Resque)."""
    args, kwargs = payload.call_arguments()
    result_id = payload.extra.get(RESULT_ID)
    worker_id = take_worker_id()
    if not isinstance(result_id, str) or not result_id:
        logger.warning("Task %s came without a result id; it runs, but no result is kept", task.module_path)
        unsaved = new_result(task, backend.alias, args, kwargs, status=TaskResultStatus.RUNNING, worker_ids=[worker_id])
        return _call(task, unsaved, args, kwargs)
    stored = results.mark_running(
        result_id, task_path=task.module_path, args=args, kwargs=kwargs, worker_id=worker_id, ttl=backend.result_ttl
    )
    task_result = stored.to_task_result(task, backend.alias)
    send(task_started_signal, type(backend), task_result=task_result)
    try:
        value = normalize_json(_call(task, task_result, args, kwargs))
        encoded = dumps(value)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        # SystemExit too: a task calling sys.exit() failed. Re-raised so the worker
        # records a Resque failure as for any job.
        _record_failure(task_result, exc, backend)
        raise
    results.mark_successful(result_id, encoded, backend.result_ttl)
    _finish(task_result, TaskResultStatus.SUCCESSFUL, value)
    send(task_finished_signal, type(backend), task_result=task_result)
    return value


def remember_worker_id(sender: Any, worker_id: str | None = None, **kwargs: Any) -> None:
    """Receiver of the worker's ``job_started``: note which worker runs the task."""
    if isinstance(sender, TaskJob):
        _announced_worker.set(worker_id)


def listen_for_worker_ids() -> None:
    """Connect ``remember_worker_id`` once (called when a ResqueBackend is built)."""
    job_started.connect(remember_worker_id, dispatch_uid="django_resque.tasks.worker_id")


def take_worker_id() -> str:
    """The announced worker id (used once), else ``host:pid`` of this process."""
    announced = _announced_worker.get()
    _announced_worker.set(None)
    return announced or f"{socket.gethostname()}:{os.getpid()}"


def _call(task: Task, task_result: TaskResult, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if task.takes_context:
        return task.call(TaskContext(task_result=task_result), *args, **kwargs)
    return task.call(*args, **kwargs)


def _record_failure(task_result: TaskResult, exc: BaseException, backend: ResqueBackend) -> None:
    error = TaskError(
        exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
        traceback="".join(traceback.format_exception(exc)),
    )
    results.mark_failed(task_result.id, error, backend.result_ttl)
    task_result.errors.append(error)
    _finish(task_result, TaskResultStatus.FAILED)
    send(task_finished_signal, type(backend), task_result=task_result)


def _finish(task_result: TaskResult, status: TaskResultStatus, value: Any = None) -> None:
    object.__setattr__(task_result, "status", status)
    object.__setattr__(task_result, "finished_at", timezone.now())
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(task_result, "_return_value", value)


def new_result(
    task: Task, alias: str, args: Any, kwargs: Any, *, status: str, worker_ids: list[str] | None = None
) -> TaskResult:
    """A fresh TaskResult with a new id and no times yet."""
    return TaskResult(
        task=task,
        id=get_random_string(32),
        status=status,
        enqueued_at=None,
        started_at=None,
        finished_at=None,
        last_attempted_at=None,
        args=args,
        kwargs=kwargs,
        backend=alias,
        errors=[],
        worker_ids=worker_ids or [],
    )
