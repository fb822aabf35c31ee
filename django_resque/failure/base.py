"""The failure backend contract, after Resque's ``Failure::Base``."""

from __future__ import annotations

from dataclasses import dataclass

from .record import FailureRecord


@dataclass(frozen=True)
class FailedList:
    """A Redis list of failure records; ``queue`` is set for a per-queue list."""

    key: str
    queue: str | None = None


class FailureBackend:
    """Where failed jobs go. Subclasses must implement ``save``; the rest is optional.

    Backends that keep nothing (e.g. logging) answer queries with empty results.
    Backends that keep records in Redis lists say which in ``lists()``: the failure
    API (``failure.api``) browses, retries and removes through them.
    """

    def save(self, record: FailureRecord) -> None:
        raise NotImplementedError("subclasses of FailureBackend must implement save()")

    def lists(self, queue: str | None = None) -> list[FailedList]:
        """The Redis lists holding records (of ``queue``'s failures, where kept apart)."""
        return []

    def count(self, queue: str | None = None) -> int:
        return 0

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureRecord]:
        return []

    def clear(self, queue: str | None = None) -> None:
        """Forget every failure (of ``queue``, if given)."""
