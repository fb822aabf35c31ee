"""Fan-out to several backends, as Ruby's ``Failure::Multiple``: the first answers queries."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .base import FailedList, FailureBackend
from .record import FailureRecord

logger = logging.getLogger(__name__)


class MultipleFailure(FailureBackend):
    """Save to every backend; count, list and clear through the first one."""

    def __init__(self, backends: Sequence[FailureBackend]) -> None:
        if not backends:
            raise ValueError("MultipleFailure needs at least one backend.")
        self.backends = list(backends)

    def save(self, record: FailureRecord) -> None:
        """Every backend gets the record even if one fails; the first error is then raised."""
        first_error: Exception | None = None
        for backend in self.backends:
            try:
                backend.save(record)
            except Exception as exc:
                logger.exception("Failure backend %s could not save a failure of %s", backend, record.job_name)
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def lists(self, queue: str | None = None) -> list[FailedList]:
        return self.backends[0].lists(queue)

    def count(self, queue: str | None = None) -> int:
        return self.backends[0].count(queue)

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureRecord]:
        return self.backends[0].all(offset, limit, queue)

    def clear(self, queue: str | None = None) -> None:
        """Clear every backend (those that keep nothing ignore it), as Ruby does."""
        for backend in self.backends:
            backend.clear(queue)
