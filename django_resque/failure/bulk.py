"""Bulk changes to a failed list in bounded batches: retry or remove every matching entry,
or the selected ones, without holding Redis or the whole list in memory.

A walk reads the list a window at a time (at most ``BATCH`` entries and about
``BATCH_BYTES``), picks its targets and changes them in one short ``FAILED_BATCH``
script that first checks every target is still the exact record read at its index. So
Redis is held for milliseconds per batch, whatever the list's length, and a change
never hits another record than the one read.

The list is shared with workers and Ruby, which append at the tail (never moving a
record) and may remove records (moving later ones towards the head). Before each
window the walk checks that the last record it handled is still just before it
(the *anchor*); if not, or if a batch is refused, it finds where that record went and
goes on from there. A retry never handles a record twice: when the walk cannot tell
where it stopped (records around it were removed or changed by others), a retry stops
with ``StaleFailureError`` saying how many were done, and a removal re-reads the last
window (removing twice is harmless: what it already removed is gone).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from .. import keys, scripts
from ..connection import get_redis, translate_errors
from ..exceptions import FailureAPIError, FailureNotFoundError, StaleFailureError
from .base import FailedList
from .entries import FailedJob, as_bytes, entry, matches
from .entries import requeue_target as _requeue_target
from .entries import stale as _stale
from .record import format_time, stamp_retried

logger = logging.getLogger(__name__)

BATCH = 500  # entries per window at most
BATCH_BYTES = 2 * 1024 * 1024  # raw bytes per window, about (one entry if it is larger)
BATCH_SECONDS = 0.002  # what one batch script should take, about: windows shrink or grow to it
FIRST_WINDOW = 10  # entries of the first window, before their size and cost are known
MIN_WINDOW = 100  # entries a window keeps at least, whatever the last script took (unless large)
_RESYNCS = 50  # re-locations in one walk before giving up: the list is being rewritten


@dataclass(frozen=True)
class Progress:
    """How far a bulk change got: ``done`` changed, ``skipped`` (retry: no readable
    payload to push), ``seen`` of about ``total`` entries (the length when it started)."""

    done: int = 0
    skipped: int = 0
    seen: int = 0
    total: int = 0
    moved: bool = False  # the list moved under the walk (others removed records)


OnProgress = Callable[[Progress], None]
Select = Callable[[FailedJob], bool]


@dataclass
class Sizer:
    """How many entries the next window reads: about BATCH_BYTES by the last window's
    sizes, and as many as one script changes in about BATCH_SECONDS.

    A script's cost grows with its targets' distance from the list's ends (Redis finds
    an index by walking the list's nodes), so the count follows what the last script
    took: halved and more when it was slow, grown by half when it was quick.
    """

    count: int = field(default_factory=lambda: FIRST_WINDOW)
    by_bytes: int = BATCH
    by_time: int = BATCH

    def observe(self, raws: Sequence[bytes | str]) -> None:
        if raws:
            average = max(1, sum(len(raw) for raw in raws) // len(raws))
            self.by_bytes = max(1, min(BATCH, BATCH_BYTES // average))
            self.count = min(self.by_bytes, max(self.count, self.by_time))

    def timed(self, targets: int, seconds: float) -> None:
        """The last script changed ``targets`` entries in ``seconds`` (as Redis measured it)."""
        if seconds > BATCH_SECONDS:
            # Not below MIN_WINDOW: part of a removal's cost (its LREM) does not shrink with
            # the window, and fewer targets per LREM would only mean more LREMs.
            self.by_time = max(MIN_WINDOW, int(targets * BATCH_SECONDS / seconds))
        elif seconds < BATCH_SECONDS / 2:
            self.by_time = min(BATCH, max(self.by_time, targets + targets // 2 + 1))
        self.count = max(1, min(self.by_bytes, self.by_time, self.count + self.count // 2 + 1))


@dataclass
class _Walk:
    failed_list: FailedList
    mode: str  # 'replace' (retry) or 'remove'
    select: Select
    on_progress: OnProgress | None
    stamp: str = field(default_factory=format_time)
    cursor: int = 0
    end: int = 0
    anchor: bytes | None = None  # the record just before ``cursor``, as the walk left it
    window: list[tuple[int, bytes]] = field(default_factory=list)  # (index, record as left) of the last window
    progress: Progress = field(default_factory=Progress)
    sizer: Sizer = field(default_factory=Sizer)
    resyncs: int = 0


def change_matching(
    failed_list: FailedList, mode: str, select: Select, on_progress: OnProgress | None = None
) -> Progress:
    """Retry (``mode='replace'``) or remove every entry ``select`` accepts, batch by batch.

    Entries appended after the walk started are left alone. Returns the final Progress.
    """
    client = get_redis()
    with translate_errors():
        total = int(client.llen(failed_list.key))
    walk = _Walk(failed_list, mode, select, on_progress, end=total, progress=Progress(total=total))
    while walk.cursor < walk.end:
        raws = _read_window(walk)
        if raws is None:
            _resync(walk)
            continue
        if not raws:
            break
        _handle_window(walk, raws)
    if walk.progress.done or walk.progress.skipped:
        logger.info(
            "%s %d failures of %s (%d skipped)",
            "Retried" if mode == "replace" else "Removed",
            walk.progress.done,
            failed_list.key,
            walk.progress.skipped,
        )
    return walk.progress


def change_selected(failed_list: FailedList, mode: str, targets: Iterable[tuple[int, bytes | str]]) -> int:
    """Retry or remove ``(index, expected)`` pairs: each batch all at once or not at all.

    Removals go from the highest index down, so a batch never moves a later batch's
    targets; retries go in list order, so their jobs are queued oldest first. A batch
    whose target moved raises StaleFailureError; batches done before it stay done (the
    admin sends one page of targets: one batch).
    """
    wanted = sorted(dict(targets).items(), reverse=mode == "remove")
    done = 0
    sizer = Sizer()
    stamp = format_time()
    while wanted:
        group, wanted = wanted[: sizer.count], wanted[sizer.count :]
        found = _confirm(failed_list, group)
        sizer.observe([item.raw for item in found])
        if len(found) > sizer.count:  # larger records than guessed: the rest waits for the next batch
            wanted = group[sizer.count :] + wanted
            found = found[: sizer.count]
        batch = _Batch.of(mode, found, stamp)
        if len(batch.targets) < len(found):  # a selected record without a payload: say which
            _requeue_target(next(item for item in found if item not in batch.targets))
        result, seconds = _run_batch(failed_list, mode, batch)
        sizer.timed(len(found), seconds)
        if result < 0:
            raise StaleFailureError(
                f"{failed_list.key} changed meanwhile; {done} were done, the rest was not changed. "
                "Reload and try again."
            )
        done += len(found)
    return done


def _confirm(failed_list: FailedList, batch: list[tuple[int, bytes | str]]) -> list[FailedJob]:
    """The entries at the batch's indexes (one pipelined LINDEX each), each as expected."""
    pipe = get_redis().pipeline(transaction=False)
    for index, _expected in batch:
        pipe.lindex(failed_list.key, index)
    with translate_errors():
        raws = pipe.execute()
    found = []
    for (index, expected), raw in zip(batch, raws, strict=True):
        if raw is None or index < 0:
            raise FailureNotFoundError(f"No failure at index {index} of {failed_list.key}; nothing was changed.")
        item = entry(index, raw, failed_list)
        if not matches(item, expected):
            raise _stale(index, failed_list)
        found.append(item)
    return found


def _read_window(walk: _Walk) -> list[bytes] | None:
    """The next window's records, or None if the anchor is no longer just before it."""
    start = walk.cursor - 1 if walk.anchor is not None else walk.cursor
    stop = min(walk.cursor + walk.sizer.count, walk.end) - 1
    with translate_errors():
        raws = _records(walk.failed_list, start, stop)
    if walk.anchor is None:
        return raws
    if not raws or raws[0] != walk.anchor:
        return None
    return raws[1:]


def _handle_window(walk: _Walk, raws: list[bytes]) -> None:
    window = [entry(walk.cursor + offset, raw, walk.failed_list) for offset, raw in enumerate(raws)]
    targets = [item for item in window if walk.select(item)]
    batch = _Batch.of(walk.mode, targets, walk.stamp)
    if batch.targets and _run_timed(walk, batch) < 0:
        _resync(walk)
        return
    walk.sizer.observe(raws)
    _advance(walk, window, batch)
    walk.progress = replace(
        walk.progress,
        done=walk.progress.done + len(batch.targets),
        skipped=walk.progress.skipped + batch.skipped,
        seen=walk.progress.seen + len(window),
    )
    if walk.on_progress is not None:
        walk.on_progress(walk.progress)


def _run_timed(walk: _Walk, batch: _Batch) -> int:
    result, seconds = _run_batch(walk.failed_list, walk.mode, batch)
    walk.sizer.timed(len(batch.targets), seconds)
    return result


def _advance(walk: _Walk, window: list[FailedJob], batch: _Batch) -> None:
    """Move the cursor past the window and remember the records as the batch left them."""
    changed = dict(zip((item.index for item in batch.targets), batch.new or batch.targets, strict=False))
    left: list[tuple[int, bytes]] = []
    for item in window:
        if item.index not in changed:
            left.append((item.index, item.raw))
        elif walk.mode == "replace":
            left.append((item.index, as_bytes(changed[item.index])))  # type: ignore[arg-type]
    removed = len(window) - len(left)
    # Re-number what stayed: removed records closed their gaps.
    walk.window = [(walk.cursor + offset, raw) for offset, (_index, raw) in enumerate(left)]
    walk.cursor += len(window) - removed
    walk.end -= removed
    if walk.window:
        walk.anchor = walk.window[-1][1]


def _resync(walk: _Walk) -> None:
    """Others removed records under the walk: go on just after the last record it still finds."""
    walk.resyncs += 1
    walk.progress = replace(walk.progress, moved=True)
    if walk.resyncs > _RESYNCS:
        raise _stopped(walk)
    known = walk.window or ([(walk.cursor - 1, walk.anchor)] if walk.anchor is not None else [])
    low = max(0, (known[0][0] if known else walk.cursor) - walk.sizer.count)
    with translate_errors():
        raws = _records(walk.failed_list, low, walk.cursor - 1) if walk.cursor else []
    logger.info("%s moved during a bulk change; finding where the walk was", walk.failed_list.key)
    for index, raw in reversed(known):
        found = _last_at_or_before(raws, raw, index - low)
        if found is not None:
            _restart_at(walk, low + found, raw, skipped_after=walk.window[-1][0] - index if walk.window else 0)
            return
    if walk.mode == "replace" and known:
        raise _stopped(walk)
    _restart_at(walk, low - 1, None)


def _restart_at(walk: _Walk, index: int, anchor: bytes | None, *, skipped_after: int = 0) -> None:
    """Go on after ``index`` (whose record is ``anchor``).

    A retry also steps over the ``skipped_after`` records of its last window that it no
    longer finds after the anchor (changed or removed by others): it never retries twice.
    """
    shift = walk.cursor - (index + 1)
    if walk.mode == "replace":
        index += skipped_after
    walk.cursor = max(0, index + 1)
    walk.end = max(walk.cursor, walk.end - shift)
    walk.anchor = anchor if walk.mode != "replace" or not skipped_after else None
    if walk.anchor is None and walk.cursor > 0:
        found = _records(walk.failed_list, walk.cursor - 1, walk.cursor - 1)
        walk.anchor = found[0] if found else None
    walk.window = []


def _records(failed_list: FailedList, start: int, stop: int) -> list[bytes]:
    with translate_errors():
        return [as_bytes(raw) for raw in get_redis().lrange(failed_list.key, start, stop)]


def _last_at_or_before(raws: list[bytes], raw: bytes, limit: int) -> int | None:
    """The last position <= ``limit`` of ``raw`` in ``raws`` (records only move towards the head)."""
    for position in range(min(limit, len(raws) - 1), -1, -1):
        if raws[position] == raw:
            return position
    return None


def _stopped(walk: _Walk) -> StaleFailureError:
    return StaleFailureError(
        f"{walk.failed_list.key} kept changing under the bulk change; stopped after {walk.progress.done} "
        "(none twice). Reload and run it again for the rest."
    )


@dataclass(frozen=True)
class _Batch:
    """What one script changes: the targets; for a retry, their stamped records and the
    ``(queue, payload)`` each pushes; ``skipped``: chosen but without a payload to push."""

    targets: list[FailedJob]
    new: list[str] = field(default_factory=list)
    pushes: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0

    @classmethod
    def of(cls, mode: str, chosen: list[FailedJob], stamp: str) -> _Batch:
        if mode != "replace":
            return cls(chosen)
        targets, pushes = [], []
        for item in chosen:
            try:
                record, payload = _requeue_target(item)
            except FailureAPIError:
                continue
            targets.append(item)
            pushes.append((record.queue, payload))
        new = [stamp_retried(item.raw, formatted=stamp) for item in targets]
        return cls(targets, new, pushes, len(chosen) - len(targets))


def _run_batch(failed_list: FailedList, mode: str, batch: _Batch) -> tuple[int, float]:
    """One FAILED_BATCH script: (-1 if a target moved and nothing changed, else how many;
    the seconds Redis spent in it)."""
    by_queue: dict[str, list[str]] = {}
    args: list[object] = []
    for position, item in enumerate(batch.targets):
        args += [item.index, item.raw]
        if mode == "replace":
            queue, payload = batch.pushes[position]
            args.append(batch.new[position])
            by_queue.setdefault(queue, []).append(payload)
    pushes: list[object] = []
    for position, (queue, payloads) in enumerate(by_queue.items(), start=3):
        pushes += [position, queue, len(payloads), *payloads]
    keys_ = [failed_list.key, keys.queues(), *(keys.queue(queue) for queue in by_queue)]
    tombstone = "django_resque:removed:" + secrets.token_hex(16)
    args = [mode, tombstone, len(batch.targets), *args, len(by_queue), *pushes, keys.wake_channel()]
    done, micros = scripts.run(scripts.FAILED_BATCH, keys_, args)
    return int(done), int(micros) / 1e6
