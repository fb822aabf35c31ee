"""Failed jobs: records and the configured backends (RESQUE['FAILURE_BACKENDS'])."""

from __future__ import annotations

from django.utils.module_loading import import_string

from .. import conf
from .base import FailureBackend
from .record import FailureRecord, from_exception

__all__ = ["FailureBackend", "FailureRecord", "backends", "from_exception", "save"]


def backends() -> list[FailureBackend]:
    """Instances of the configured backends (dotted paths from settings, never from Redis)."""
    return [import_string(path)() for path in conf.get("FAILURE_BACKENDS")]


def save(record: FailureRecord) -> None:
    """Hand the record to every configured backend."""
    for backend in backends():
        backend.save(record)
