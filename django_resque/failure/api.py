"""Browse, retry and remove recorded failures, through the first configured backend.

Single-item changes take the index AND the record the caller saw (raw, or its
``digest``) and refuse with ``StaleFailureError`` when the list moved, so a
concurrent change never hits the wrong job. Bulk changes go through ``failure.bulk``:
bounded batches, each checked by content in one short script.

``queue`` filters by the record's queue; ``queue_list`` picks the per-queue list of
the RedisMultiQueue backend (None for the single ``failed`` list).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .. import keys, scripts
from ..connection import get_redis, translate_errors
from ..exceptions import FailureAPIError, FailureNotFoundError, StaleFailureError
from . import backend, bulk
from .base import FailedList
from .bulk import OnProgress, Progress
from .entries import FailedJob, Filters, entry, matches, requeue_target, stale
from .record import stamp_retried

__all__ = [
    "FailedJob",
    "FailureAPIError",
    "FailureNotFoundError",
    "Filters",
    "Found",
    "Progress",
    "StaleFailureError",
    "clear",
    "count",
    "find",
    "get",
    "page",
    "remove",
    "remove_all",
    "remove_many",
    "retry",
    "retry_all",
    "retry_many",
]

logger = logging.getLogger(__name__)


# Queries -------------------------------------------------------------------------

SCAN_BUDGET = 2000  # entries ``find`` reads per call at most


@dataclass(frozen=True)
class Found:
    """What ``find`` read: the matches, and where to go on (None: the end was reached)."""

    entries: list[FailedJob]
    next_start: int | None
    total: int


def count(*, queue: str | None = None, job: str | None = None, exception: str | None = None) -> int:
    """How many failures match (LLEN without filters; a scan of every record with them)."""
    filters = Filters(queue, job, exception)
    if filters.empty:
        return backend().count()
    return sum(1 for item in _scan(filters) if filters.match(item))


def page(
    offset: int = 0, limit: int = 20, *, queue: str | None = None, job: str | None = None, exception: str | None = None
) -> list[FailedJob]:
    """Matching failures ``offset`` .. ``offset + limit - 1``, oldest first.

    Without filters only those ``limit`` records are read; with filters the list is
    scanned from the head (see ``find`` for a scan bounded per call).
    """
    if offset < 0 or limit < 0:
        raise ValueError(f"offset and limit must not be negative, got {offset} and {limit}.")
    filters = Filters(queue, job, exception)
    if limit == 0:
        return []
    if filters.empty:
        return _read_range(offset, limit)
    found: list[FailedJob] = []
    skipped = 0
    for item in _scan(filters):
        if not filters.match(item):
            continue
        if skipped < offset:
            skipped += 1
            continue
        found.append(item)
        if len(found) == limit:
            break
    return found


def find(
    start: int = 0,
    limit: int = 25,
    *,
    budget: int | None = None,
    queue: str | None = None,
    job: str | None = None,
    exception: str | None = None,
) -> Found:
    """Up to ``limit`` matches from position ``start`` (of the lists end to end), reading at
    most ``budget`` entries (and about ``bulk.BATCH_BYTES`` at a time): bounded work per call.
    Go on from ``next_start``."""
    budget = SCAN_BUDGET if budget is None else budget
    if start < 0 or limit < 1 or budget < 1:
        raise ValueError(f"start must not be negative and limit, budget positive, got {start}, {limit}, {budget}.")
    filters = Filters(queue, job, exception)
    lists, lengths = _lengths(filters.queue)
    found: list[FailedJob] = []
    position = start
    for item, at in _scan_from(lists, lengths, start, start + budget):
        position = at + 1
        if filters.match(item):
            found.append(item)
        if len(found) == limit or position - start >= budget:
            break
    total = sum(lengths)
    return Found(found, position if position < total else None, total)


def get(index: int, queue_list: str | None = None) -> FailedJob:
    """The failure at ``index`` of its list, or FailureNotFoundError."""
    failed_list = _failed_list(queue_list)
    with translate_errors():
        raw = get_redis().lindex(failed_list.key, index) if index >= 0 else None
    if raw is None:
        raise FailureNotFoundError(f"No failure at index {index} of {failed_list.key}.")
    return entry(index, raw, failed_list)


# Single changes ------------------------------------------------------------------


def retry(index: int, expected: bytes | str, queue_list: str | None = None) -> FailedJob:
    """Requeue one failure to its queue and stamp ``retried_at`` (LSET), as Ruby; the
    record stays in the list. Returns the entry as it was."""
    found = _confirm(index, expected, queue_list)
    record, payload = requeue_target(found)
    queue = record.queue
    failed_list = _failed_list(queue_list)
    done = scripts.run(
        scripts.FAILED_REQUEUE,
        [failed_list.key, keys.queues(), keys.queue(queue)],
        [index, found.raw, stamp_retried(found.raw), queue, payload, keys.wake_channel()],
    )
    if not done:
        raise stale(index, failed_list)
    logger.info("Retried failure %d of %s (%s) on queue %s", index, failed_list.key, record.job_name, queue)
    return found


def remove(index: int, expected: bytes | str, queue_list: str | None = None) -> FailedJob:
    """Delete one failure (LSET a unique tombstone + LREM, atomically). Returns it."""
    found = _confirm(index, expected, queue_list)
    failed_list = _failed_list(queue_list)
    tombstone = "django_resque:removed:" + secrets.token_hex(16)
    if not scripts.run(scripts.FAILED_REMOVE, [failed_list.key], [index, found.raw, tombstone]):
        raise stale(index, failed_list)
    logger.info("Removed failure %d of %s", index, failed_list.key)
    return found


# Bulk changes --------------------------------------------------------------------


def retry_many(targets: Iterable[tuple[int, bytes | str]], queue_list: str | None = None) -> int:
    """Retry ``(index, expected)`` pairs, a batch at a time, each batch all or none."""
    return bulk.change_selected(_failed_list(queue_list), "replace", targets)


def remove_many(targets: Iterable[tuple[int, bytes | str]], queue_list: str | None = None) -> int:
    """Remove ``(index, expected)`` pairs, a batch at a time, each batch all or none."""
    return bulk.change_selected(_failed_list(queue_list), "remove", targets)


def retry_all(
    *,
    queue: str | None = None,
    job: str | None = None,
    exception: str | None = None,
    on_progress: OnProgress | None = None,
) -> int:
    """Retry every matching failure (e.g. all of one exception class); returns how many.

    Records without a job payload to push are skipped (counted in Progress.skipped).
    ``on_progress`` is called after each batch and once at the end.
    """
    return _change_matching("replace", Filters(queue, job, exception), on_progress).done


def remove_all(
    *,
    queue: str | None = None,
    job: str | None = None,
    exception: str | None = None,
    on_progress: OnProgress | None = None,
) -> int:
    """Remove every matching failure; returns how many."""
    return _change_matching("remove", Filters(queue, job, exception), on_progress).done


def clear(queue: str | None = None, on_progress: OnProgress | None = None) -> None:
    """Forget every failure (of ``queue``, if given, batch by batch)."""
    if queue is None:
        backend().clear()
        logger.info("Cleared every failure")
        return
    removed = remove_all(queue=queue, on_progress=on_progress)
    logger.info("Cleared %d failures of queue %s", removed, queue)


# Helpers -------------------------------------------------------------------------


def _lists(queue: str | None = None) -> list[FailedList]:
    return backend().lists(queue)


def _failed_list(queue_list: str | None) -> FailedList:
    found = _lists(queue_list)
    if not found:
        raise FailureAPIError("The first failure backend keeps no records to browse, retry or remove.")
    return found[0]


def _lengths(queue: str | None) -> tuple[list[FailedList], list[int]]:
    """The lists and their lengths (one pipelined LLEN)."""
    lists = _lists(queue)
    pipe = get_redis().pipeline(transaction=False)
    for failed_list in lists:
        pipe.llen(failed_list.key)
    with translate_errors():
        return lists, [int(length) for length in pipe.execute()] if lists else []


def _read_range(offset: int, limit: int) -> list[FailedJob]:
    """Entries ``offset`` .. ``offset + limit - 1`` of the lists end to end: only those are read."""
    found: list[FailedJob] = []
    lists, lengths = _lengths(None)
    for failed_list, length in zip(lists, lengths, strict=True):
        if offset >= length:
            offset -= length
            continue
        with translate_errors():
            raws = get_redis().lrange(failed_list.key, offset, offset + limit - len(found) - 1)
        found += [entry(index, raw, failed_list) for index, raw in enumerate(raws, offset)]
        offset = 0
        if len(found) >= limit:
            break
    return found


def _scan(filters: Filters) -> Iterator[FailedJob]:
    """Every entry of the lists in order, read a bounded window at a time."""
    lists, lengths = _lengths(filters.queue)
    for item, _position in _scan_from(lists, lengths, 0):
        yield item


def _scan_from(
    lists: list[FailedList], lengths: list[int], start: int, stop: int | None = None
) -> Iterator[tuple[FailedJob, int]]:
    """(entry, position of the lists end to end) from ``start`` up to ``stop``, a window of
    about ``bulk.BATCH_BYTES`` at a time."""
    client = get_redis()
    sizer = bulk.Sizer()
    base = 0
    for failed_list, length in zip(lists, lengths, strict=True):
        index = max(0, start - base)
        end = length if stop is None else min(length, stop - base)
        while index < end:
            with translate_errors():
                raws = client.lrange(failed_list.key, index, min(index + sizer.count, end) - 1)
            if not raws:
                break
            sizer.observe(raws)
            for offset, raw in enumerate(raws):
                yield entry(index + offset, raw, failed_list), base + index + offset
            index += len(raws)
        base += length


def _confirm(index: int, expected: bytes | str, queue_list: str | None) -> FailedJob:
    found = get(index, queue_list)
    if not matches(found, expected):
        raise stale(index, _failed_list(queue_list))
    return found


def _change_matching(mode: str, filters: Filters, on_progress: OnProgress | None) -> Progress:
    """Each list in turn, its progress added to the lists' before it."""
    lists, lengths = _lengths(filters.queue)
    so_far = Progress(total=sum(lengths))

    def report(progress: Progress) -> None:
        if on_progress is not None:
            on_progress(_add(so_far, progress))

    for failed_list in lists:
        so_far = _add(so_far, bulk.change_matching(failed_list, mode, filters.match, report))
    if on_progress is not None:
        on_progress(so_far)
    return so_far


def _add(before: Progress, progress: Progress) -> Progress:
    return Progress(
        done=before.done + progress.done,
        skipped=before.skipped + progress.skipped,
        seen=before.seen + progress.seen,
        total=before.total,
        moved=before.moved or progress.moved,
    )
