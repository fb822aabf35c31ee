"""The failure backend contract, after Resque's ``Failure::Base``."""

from __future__ import annotations

from .record import FailureRecord


class FailureBackend:
    """Where failed jobs go. Subclasses must implement ``save``; the rest is optional.

    Backends that keep nothing (e.g. logging) answer queries with empty results.
    """

    def save(self, record: FailureRecord) -> None:
        raise NotImplementedError("subclasses of FailureBackend must implement save()")

    def count(self, queue: str | None = None) -> int:
        return 0

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureRecord]:
        return []

    def clear(self, queue: str | None = None) -> None:
        """Forget every failure (of ``queue``, if given)."""
