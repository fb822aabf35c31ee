"""Django Tasks results in Redis: one hash per result, plus lists of its workers and errors.

Each change is one MULTI that also renews the TTL of all three keys, so a result
disappears whole, ``RESULT_TTL`` seconds after its last change. Values are read back
into the framework's ``TaskResult``; nothing read here is ever imported or called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .. import keys
from ..connection import get_redis, translate_errors
from ..decoding import loads, to_text
from ..exceptions import MalformedPayloadError
from ..payload import dumps
from .compat import Task, TaskError, TaskResult, TaskResultStatus

if TYPE_CHECKING:
    from redis.client import Pipeline
    from redis.typing import EncodableT, FieldT


@dataclass(frozen=True)
class StoredResult:
    """A result as kept in Redis, before it is joined to its (registered) Task."""

    id: str
    task_path: str
    status: str
    args: list[Any]
    kwargs: dict[str, Any]
    backend: str | None = None
    queue_name: str | None = None
    priority: int | None = None
    run_after: dt.datetime | None = None
    enqueued_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    last_attempted_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    return_value: Any = None
    worker_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_task_result(self, task: Task, backend: str) -> TaskResult:
        """The framework's TaskResult for ``task`` (the registered one, with this result's options)."""
        result = TaskResult(
            task=task,
            id=self.id,
            status=TaskResultStatus(self.status),
            enqueued_at=self.enqueued_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            last_attempted_at=self.last_attempted_at,
            args=self.args,
            kwargs=self.kwargs,
            backend=self.backend or backend,
            errors=[TaskError(**error) for error in self.errors],
            worker_ids=list(self.worker_ids),
        )
        if self.status == TaskResultStatus.SUCCESSFUL:
            object.__setattr__(result, "_return_value", self.return_value)
        return result


def add_ready(pipe: Pipeline, result: TaskResult, ttl: int) -> None:
    """Queue the commands writing a new READY result on ``pipe`` (the enqueue's MULTI)."""
    task = result.task
    record: dict[FieldT, EncodableT] = {
        "task": task.module_path,
        "backend": result.backend,
        "queue_name": task.queue_name,
        "priority": str(task.priority),
        "status": TaskResultStatus.READY.value,
        "args": dumps(result.args),
        "kwargs": dumps(result.kwargs),
        "enqueued_at": _format_time(result.enqueued_at),
    }
    if task.run_after is not None:
        record["run_after"] = _format_time(task.run_after)
    pipe.delete(keys.job_record(result.id), keys.job_record_workers(result.id), keys.job_record_errors(result.id))
    pipe.hset(keys.job_record(result.id), mapping=record)
    _expire(pipe, result.id, ttl)


def mark_running(
    result_id: str, *, task_path: str, args: list[Any], kwargs: dict[str, Any], worker_id: str, ttl: int
) -> StoredResult:
    """A worker starts an attempt; returns the result as it now stands.

    Task and arguments are written again, so a result that expired while its job waited
    is recreated from the payload rather than left half-written.
    """
    now = _format_time(timezone.now())
    pipe = get_redis().pipeline(transaction=True)
    main = keys.job_record(result_id)
    pipe.hset(
        main,
        mapping={"task": task_path, "args": dumps(args), "kwargs": dumps(kwargs), "status": "RUNNING"},
    )
    pipe.hset(main, "last_attempted_at", now)
    pipe.hsetnx(main, "started_at", now)
    pipe.hdel(main, "finished_at", "return_value")
    pipe.rpush(keys.job_record_workers(result_id), worker_id)
    _expire(pipe, result_id, ttl)
    _add_reads(pipe, result_id)
    with translate_errors():
        replies = pipe.execute()
    return _decode(result_id, *replies[-3:])


def mark_successful(result_id: str, encoded_return_value: str, ttl: int) -> None:
    """The attempt returned ``encoded_return_value`` (JSON)."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.hset(
        keys.job_record(result_id),
        mapping={
            "status": TaskResultStatus.SUCCESSFUL.value,
            "finished_at": _format_time(timezone.now()),
            "return_value": encoded_return_value,
        },
    )
    _expire(pipe, result_id, ttl)
    with translate_errors():
        pipe.execute()


def mark_failed(result_id: str, error: TaskError, ttl: int) -> None:
    """The attempt raised: FAILED, with the error appended to the result's errors."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.hset(
        keys.job_record(result_id),
        mapping={"status": TaskResultStatus.FAILED.value, "finished_at": _format_time(timezone.now())},
    )
    pipe.rpush(
        keys.job_record_errors(result_id),
        dumps({"exception_class_path": error.exception_class_path, "traceback": error.traceback}),
    )
    _expire(pipe, result_id, ttl)
    with translate_errors():
        pipe.execute()


def load(result_id: str) -> StoredResult | None:
    """The stored result, or None when there is none (never written, or expired)."""
    pipe = get_redis().pipeline(transaction=True)
    _add_reads(pipe, result_id)
    with translate_errors():
        fields, workers, errors = pipe.execute()
    if not fields:
        return None
    return _decode(result_id, fields, workers, errors)


def _expire(pipe: Pipeline, result_id: str, ttl: int) -> None:
    for key in (keys.job_record(result_id), keys.job_record_workers(result_id), keys.job_record_errors(result_id)):
        pipe.expire(key, ttl)


def _add_reads(pipe: Pipeline, result_id: str) -> None:
    pipe.hgetall(keys.job_record(result_id))
    pipe.lrange(keys.job_record_workers(result_id), 0, -1)
    pipe.lrange(keys.job_record_errors(result_id), 0, -1)


def _decode(result_id: str, raw_fields: dict[bytes, bytes], workers: list[bytes], errors: list[bytes]) -> StoredResult:
    """Parse the three keys; MalformedPayloadError (with the data) if they are not ours."""
    data = {to_text(key): to_text(value) for key, value in raw_fields.items()}
    try:
        status = TaskResultStatus(data.get("status", "")).value
        return StoredResult(
            id=result_id,
            task_path=data["task"],
            status=status,
            args=_json(data.get("args"), []),
            kwargs=_json(data.get("kwargs"), {}),
            backend=data.get("backend"),
            queue_name=data.get("queue_name"),
            priority=int(data["priority"]) if "priority" in data else None,
            run_after=_parse_time(data.get("run_after")),
            enqueued_at=_parse_time(data.get("enqueued_at")),
            started_at=_parse_time(data.get("started_at")),
            last_attempted_at=_parse_time(data.get("last_attempted_at")),
            finished_at=_parse_time(data.get("finished_at")),
            return_value=_json(data.get("return_value"), None),
            worker_ids=[to_text(worker) for worker in workers],
            errors=[_decode_error(raw) for raw in errors],
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedPayloadError(f"task result {result_id!r} is not readable ({exc!r})", dumps(data)) from exc


def _decode_error(raw: bytes) -> dict[str, str]:
    error = loads(raw)
    return {"exception_class_path": str(error["exception_class_path"]), "traceback": str(error["traceback"])}


def _json(text: str | None, default: Any) -> Any:
    return default if text is None else loads(text)


def _format_time(when: dt.datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def _parse_time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
