"""Failed jobs: records and the configured backends (RESQUE['FAILURE_BACKENDS'])."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from .. import conf
from .base import FailureBackend
from .record import FailureRecord, from_exception

if TYPE_CHECKING:
    from ..job import Job

__all__ = ["FailureBackend", "FailureRecord", "backends", "from_exception", "handle", "save"]


def backends() -> list[FailureBackend]:
    """Instances of the configured backends (dotted paths from settings, never from Redis)."""
    return [import_string(path)() for path in conf.get("FAILURE_BACKENDS")]


def save(record: FailureRecord) -> None:
    """Hand the record to every configured backend."""
    for backend in backends():
        backend.save(record)


def handle(exc: BaseException, *, payload: dict[str, Any], queue: str, worker_id: str, job: Job | None = None) -> None:
    """A job failed: the single entry point the worker calls for every failure.

    ``job`` is None when the payload named no registered job or could not be decoded.
    Retry policies (issue 4) hook in here; today every failure is recorded.
    """
    save(from_exception(exc, payload, worker_id, queue))
