"""Browse, retry and remove recorded failures, through the first configured backend.

Single-item changes take the index AND the record the caller saw (raw, or its
``digest``) and refuse with ``StaleFailureError`` when the list moved, so a
concurrent change never hits the wrong job. Bulk changes verify every target and
rebuild the list once, in one Lua script (O(list length), no LREM loop).

``queue`` filters by the record's queue; ``queue_list`` picks the per-queue list of
the RedisMultiQueue backend (None for the single ``failed`` list).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .. import keys, scripts
from .. import retry as retry_policy
from ..connection import get_redis, translate_errors
from ..exceptions import MalformedPayloadError, ResqueError
from ..payload import dumps, from_dict
from . import backend
from .base import FailedList
from .record import FailureRecord, decode, format_time, stamp_retried
from .record import digest as record_digest

logger = logging.getLogger(__name__)

_CHUNK = 1000
_ATTEMPTS = 3


class FailureAPIError(ResqueError):
    """A failure could not be found, read or retried; the message says which and why."""


class FailureNotFoundError(FailureAPIError, LookupError):
    pass


class StaleFailureError(FailureAPIError):
    """The failed list changed since the caller read it; nothing was changed."""


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


# Queries -------------------------------------------------------------------------


def count(*, queue: str | None = None, job: str | None = None, exception: str | None = None) -> int:
    """How many failures match (LLEN without filters; a scan with them)."""
    filters = Filters(queue, job, exception)
    if filters.empty:
        return backend().count()
    return sum(1 for entry in _scan(filters) if filters.match(entry))


def page(
    offset: int = 0, limit: int = 20, *, queue: str | None = None, job: str | None = None, exception: str | None = None
) -> list[FailedJob]:
    """Matching failures ``offset`` .. ``offset + limit - 1``, oldest first."""
    if offset < 0 or limit < 0:
        raise ValueError(f"offset and limit must not be negative, got {offset} and {limit}.")
    filters = Filters(queue, job, exception)
    found: list[FailedJob] = []
    if limit == 0:
        return found
    skipped = 0
    for entry in _scan(filters, offset if filters.empty else 0):
        if not filters.match(entry):
            continue
        if not filters.empty and skipped < offset:
            skipped += 1
            continue
        found.append(entry)
        if len(found) == limit:
            break
    return found


def get(index: int, queue_list: str | None = None) -> FailedJob:
    """The failure at ``index`` of its list, or FailureNotFoundError."""
    failed_list = _failed_list(queue_list)
    with translate_errors():
        raw = get_redis().lindex(failed_list.key, index) if index >= 0 else None
    if raw is None:
        raise FailureNotFoundError(f"No failure at index {index} of {failed_list.key}.")
    return _entry(index, raw, failed_list)


# Single changes ------------------------------------------------------------------


def retry(index: int, expected: bytes | str, queue_list: str | None = None) -> FailedJob:
    """Requeue one failure to its queue and stamp ``retried_at`` (LSET), as Ruby; the
    record stays in the list. Returns the entry as it was."""
    entry = _confirm(index, expected, queue_list)
    record, payload = _requeue_target(entry)
    queue = record.queue
    failed_list = _failed_list(queue_list)
    done = scripts.run(
        scripts.FAILED_REQUEUE,
        [failed_list.key, keys.queues(), keys.queue(queue)],
        [index, entry.raw, stamp_retried(entry.raw), queue, payload],
    )
    if not done:
        raise _stale(index, failed_list)
    logger.info("Retried failure %d of %s (%s) on queue %s", index, failed_list.key, record.job_name, queue)
    return entry


def remove(index: int, expected: bytes | str, queue_list: str | None = None) -> FailedJob:
    """Delete one failure (LSET a unique tombstone + LREM, atomically). Returns it."""
    entry = _confirm(index, expected, queue_list)
    failed_list = _failed_list(queue_list)
    tombstone = "django_resque:removed:" + secrets.token_hex(16)
    if not scripts.run(scripts.FAILED_REMOVE, [failed_list.key], [index, entry.raw, tombstone]):
        raise _stale(index, failed_list)
    logger.info("Removed failure %d of %s", index, failed_list.key)
    return entry


# Bulk changes --------------------------------------------------------------------


def retry_many(targets: Iterable[tuple[int, bytes | str]], queue_list: str | None = None) -> int:
    """Retry ``(index, expected)`` pairs all at once, or none if any no longer matches."""
    failed_list = _failed_list(queue_list)
    entries = _confirm_many(failed_list, targets)
    return _apply(failed_list, "replace", entries)


def remove_many(targets: Iterable[tuple[int, bytes | str]], queue_list: str | None = None) -> int:
    """Remove ``(index, expected)`` pairs all at once, or none if any no longer matches."""
    failed_list = _failed_list(queue_list)
    entries = _confirm_many(failed_list, targets)
    return _apply(failed_list, "remove", entries)


def retry_all(*, queue: str | None = None, job: str | None = None, exception: str | None = None) -> int:
    """Retry every matching failure (e.g. all of one exception class); returns how many."""
    return _change_matching("replace", Filters(queue, job, exception))


def remove_all(*, queue: str | None = None, job: str | None = None, exception: str | None = None) -> int:
    """Remove every matching failure; returns how many."""
    return _change_matching("remove", Filters(queue, job, exception))


def clear(queue: str | None = None) -> None:
    """Forget every failure (of ``queue``, if given)."""
    if queue is None:
        backend().clear()
        logger.info("Cleared every failure")
        return
    removed = remove_all(queue=queue)
    logger.info("Cleared %d failures of queue %s", removed, queue)


# Helpers -------------------------------------------------------------------------


def _lists(queue: str | None = None) -> list[FailedList]:
    return backend().lists(queue)


def _failed_list(queue_list: str | None) -> FailedList:
    found = _lists(queue_list)
    if not found:
        raise FailureAPIError("The first failure backend keeps no records to browse, retry or remove.")
    return found[0]


def _entry(index: int, raw: bytes | str, failed_list: FailedList) -> FailedJob:
    raw = raw.encode() if isinstance(raw, str) else raw
    try:
        record: FailureRecord | None = decode(raw)
    except MalformedPayloadError:
        logger.warning("Unreadable failure record at %d of %s: %r", index, failed_list.key, raw[:200])
        record = None
    return FailedJob(index, raw, record, failed_list.queue)


def _scan(filters: Filters, offset: int = 0) -> Iterator[FailedJob]:
    """Every entry of the lists in order, read ``_CHUNK`` at a time, from ``offset``."""
    client = get_redis()
    for failed_list in _lists(filters.queue):
        with translate_errors():
            length = int(client.llen(failed_list.key))
        if offset >= length:
            offset -= length
            continue
        for start in range(offset, length, _CHUNK):
            with translate_errors():
                raws = client.lrange(failed_list.key, start, start + _CHUNK - 1)
            for position, raw in enumerate(raws, start):
                yield _entry(position, raw, failed_list)
        offset = 0


def _as_bytes(expected: bytes | str) -> bytes:
    return expected.encode() if isinstance(expected, str) else expected


def _matches(entry: FailedJob, expected: bytes | str) -> bool:
    """``expected`` is the raw record or its 40-hex sha1 digest."""
    wanted = _as_bytes(expected)
    return entry.raw == wanted or (len(wanted) == 40 and entry.digest.encode() == wanted.lower())


def _confirm(index: int, expected: bytes | str, queue_list: str | None) -> FailedJob:
    entry = get(index, queue_list)
    if not _matches(entry, expected):
        raise _stale(index, _failed_list(queue_list))
    return entry


def _confirm_many(failed_list: FailedList, targets: Iterable[tuple[int, bytes | str]]) -> list[FailedJob]:
    with translate_errors():
        raws = get_redis().lrange(failed_list.key, 0, -1)
    entries = []
    for index, expected in dict(targets).items():
        if not 0 <= index < len(raws):
            raise FailureNotFoundError(f"No failure at index {index} of {failed_list.key}; nothing was changed.")
        entry = _entry(index, raws[index], failed_list)
        if not _matches(entry, expected):
            raise _stale(index, failed_list)
        entries.append(entry)
    return entries


def _stale(index: int, failed_list: FailedList) -> StaleFailureError:
    return StaleFailureError(
        f"The failure at index {index} of {failed_list.key} is no longer the one expected "
        "(the list changed meanwhile); nothing was changed. Reload and try again."
    )


def _requeue_target(entry: FailedJob) -> tuple[FailureRecord, str]:
    """(record, encoded payload) to push: the recorded payload, attempt count dropped."""
    record = entry.record
    if record is None or not record.queue:
        raise FailureAPIError(f"The failure at index {entry.index} has no readable record or queue to retry on.")
    try:
        payload = from_dict(retry_policy.without_attempt(record.payload))
    except MalformedPayloadError as exc:
        raise FailureAPIError(f"The failure at index {entry.index} holds no job payload: {exc}") from exc
    return record, dumps(payload.as_dict())


def _change_matching(mode: str, filters: Filters) -> int:
    total = 0
    for failed_list in _lists(filters.queue):
        total += _change_matching_in(failed_list, mode, filters)
    return total


def _change_matching_in(failed_list: FailedList, mode: str, filters: Filters) -> int:
    """Re-read and re-select if the list moved meanwhile (the script changes nothing then)."""
    for _attempt in range(_ATTEMPTS):
        with translate_errors():
            raws = get_redis().lrange(failed_list.key, 0, -1)
        entries = [entry for index, raw in enumerate(raws) if filters.match(entry := _entry(index, raw, failed_list))]
        if mode == "replace":
            entries = [entry for entry in entries if entry.record is not None and entry.record.queue]
        try:
            return _apply(failed_list, mode, entries)
        except StaleFailureError:
            logger.info("%s changed during a bulk change; reading it again", failed_list.key)
    raise StaleFailureError(f"{failed_list.key} kept changing during {_ATTEMPTS} tries; nothing more was changed.")


def _apply(failed_list: FailedList, mode: str, entries: list[FailedJob]) -> int:
    """One FAILED_REWRITE script: verify targets, rebuild the list once, push retries."""
    if not entries:
        return 0
    queue_keys: dict[str, int] = {}
    targets: list[object] = []
    pushes: list[object] = []
    stamp = None
    for entry in entries:
        targets += [entry.index, entry.raw]
        if mode == "replace":
            record, payload = _requeue_target(entry)
            queue = record.queue
            position = queue_keys.setdefault(queue, len(queue_keys) + 3)
            stamp = stamp or format_time()
            targets.append(stamp_retried(entry.raw, formatted=stamp))
            pushes += [position, queue, payload]
    keys_ = [failed_list.key, keys.queues(), *(keys.queue(queue) for queue in queue_keys)]
    args = [mode, len(entries), *targets, len(pushes) // 3, *pushes]
    if scripts.run(scripts.FAILED_REWRITE, keys_, args) < 0:
        raise StaleFailureError(f"{failed_list.key} changed meanwhile; nothing was changed. Reload and try again.")
    logger.info("%s %d failures of %s", "Retried" if mode == "replace" else "Removed", len(entries), failed_list.key)
    return len(entries)
