"""One entry of a failed list as the failure API sees it: its position, exact bytes and
decoded record; how a caller names it (raw or digest), how filters match it, what a
retry pushes; and the API's errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import retry as retry_policy
from ..exceptions import FailureAPIError, MalformedPayloadError, StaleFailureError
from ..payload import dumps, from_dict
from .base import FailedList
from .record import FailureRecord, decode
from .record import digest as record_digest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailedJob:
    """One entry of a failed list: its position, exact bytes and decoded record."""

    index: int
    raw: bytes
    record: FailureRecord | None
    queue_list: str | None = None

    @property
    def digest(self) -> str:
        """sha1 of the record without ``retried_at``: pass it back to confirm the target by content."""
        return record_digest(self.raw)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class Filters:
    queue: str | None = None
    job: str | None = None
    exception: str | None = None

    @property
    def empty(self) -> bool:
        return self.queue is None and self.job is None and self.exception is None

    def match(self, entry: FailedJob) -> bool:
        record = entry.record
        if record is None:
            return self.empty
        return (
            (self.queue is None or record.queue == self.queue)
            and (self.job is None or record.job_name == self.job)
            and (self.exception is None or record.exception == self.exception)
        )


def entry(index: int, raw: bytes | str, failed_list: FailedList) -> FailedJob:
    """The entry at ``index``, its record decoded (None, and a warning, if unreadable)."""
    raw = raw.encode() if isinstance(raw, str) else raw
    try:
        record: FailureRecord | None = decode(raw)
    except MalformedPayloadError:
        logger.warning("Unreadable failure record at %d of %s: %r", index, failed_list.key, raw[:200])
        record = None
    return FailedJob(index, raw, record, failed_list.queue)


def as_bytes(expected: bytes | str) -> bytes:
    return expected.encode() if isinstance(expected, str) else expected


def matches(found: FailedJob, expected: bytes | str) -> bool:
    """``expected`` is the raw record or its 40-hex sha1 digest."""
    wanted = as_bytes(expected)
    return found.raw == wanted or (len(wanted) == 40 and found.digest.encode() == wanted.lower())


def is_retryable(found: FailedJob) -> bool:
    """A readable record with a job payload and a queue to push it to."""
    try:
        requeue_target(found)
    except FailureAPIError:
        return False
    return True


def requeue_target(found: FailedJob) -> tuple[FailureRecord, str]:
    """(record, encoded payload) to push: the recorded payload, attempt count dropped."""
    record = found.record
    if record is None or not record.queue:
        raise FailureAPIError(f"The failure at index {found.index} has no readable record or queue to retry on.")
    try:
        payload = from_dict(retry_policy.without_attempt(record.payload))
    except MalformedPayloadError as exc:
        raise FailureAPIError(f"The failure at index {found.index} holds no job payload: {exc}") from exc
    return record, dumps(payload.as_dict())


def stale(index: int, failed_list: FailedList) -> StaleFailureError:
    return StaleFailureError(
        f"The failure at index {index} of {failed_list.key} is no longer the one expected "
        "(the list changed meanwhile); nothing was changed. Reload and try again."
    )
