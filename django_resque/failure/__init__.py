"""Failed jobs: the configured backends (RESQUE['FAILURE_BACKENDS']) and ``handle``.

``handle`` is the one entry point the worker calls for every failure. Browsing,
retrying and removing recorded failures is ``django_resque.failure.api``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from .. import conf, retry, status, unique
from ..exceptions import ResqueConfigurationError
from ..handle import is_valid_id
from .base import FailedList, FailureBackend
from .multiple import MultipleFailure
from .record import FailureRecord, digest, from_exception

if TYPE_CHECKING:
    from ..job import Job

__all__ = [
    "FailedList",
    "FailureBackend",
    "FailureRecord",
    "backend",
    "backends",
    "from_exception",
    "handle",
    "save",
]

logger = logging.getLogger(__name__)

# Set on the failure record of a job with a retry policy: how many runs it had.
ATTEMPTS_KEY = "attempts"


def backends() -> list[FailureBackend]:
    """Instances of the configured backends (dotted paths from settings, never from Redis)."""
    return [_load_backend(path) for path in conf.get("FAILURE_BACKENDS")]


def backend() -> FailureBackend:
    """The configured backend; several are fanned out by ``MultipleFailure``."""
    found = backends()
    return found[0] if len(found) == 1 else MultipleFailure(found)


def save(record: FailureRecord) -> None:
    """Hand the record to every configured backend."""
    backend().save(record)


def handle(
    exc: BaseException, *, payload: dict[str, Any], queue: str, worker_id: str, job: Job | None = None
) -> FailureRecord | None:
    """A job failed: retry it per its policy, or record it and release its unique lock.

    Returns the record saved, or None when the job was scheduled to run again.
    ``job`` is None when the payload named no registered job or could not be decoded;
    such a failure is never retried. The worker counts ``stat:failed`` itself.
    """
    policy = job.retry_policy if job is not None else None
    attempt = retry.attempt_of(job.name, payload) if job is not None and policy is not None else 1
    if job is not None and policy is not None and policy.allows(exc, attempt):
        delay = policy.delay(attempt)
        unique.extend(job, payload, delay)
        at = retry.schedule_retry(payload, queue, delay, attempt)
        if is_valid_id(payload.get("id")):
            status.mark_retry(payload["id"], type(exc).__name__, str(exc), at)
        return None
    record = from_exception(exc, payload, worker_id, queue)
    if policy is not None:
        record = record.with_extra(**{ATTEMPTS_KEY: attempt})
    save(record)
    if is_valid_id(payload.get("id")):
        status.mark_failed(payload["id"], record.exception, record.error, digest(record.encode())[:12])
    # After saving: if saving raised, the lock and count stay (until their TTL) with the job unrecorded.
    if job is not None and policy is not None:
        retry.forget(job.name, payload)
    unique.release(job, payload)
    return record


def _load_backend(path: str) -> FailureBackend:
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ResqueConfigurationError(
            f"RESQUE['FAILURE_BACKENDS'] names {path!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, FailureBackend)):
        raise ResqueConfigurationError(
            f"RESQUE['FAILURE_BACKENDS'] names {path!r}, which is not a FailureBackend subclass."
        )
    return cls()
