"""A failure backend that only logs: for error trackers fed by logging (Sentry, ...)."""

from __future__ import annotations

import logging

from .base import FailureBackend
from .record import FailureRecord

logger = logging.getLogger(__name__)


class LoggingFailure(FailureBackend):
    """Log each failure at ERROR on ``django_resque.failure.log``; keeps nothing to query."""

    def save(self, record: FailureRecord) -> None:
        logger.error(
            "Job %s failed on queue %s (worker %s): %s: %s",
            record.job_name or "<unknown>",
            record.queue,
            record.worker,
            record.exception,
            record.error,
            extra={"failure": record.as_dict()},
        )
