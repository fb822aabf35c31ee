"""Move due delayed jobs to their queues, atomically, in batches.

Each batch is one Lua script that pops an item only while it is still the bucket's
head, so a scheduler killed mid-bucket leaves every job either still delayed or
queued once, and two schedulers moving the same bucket never double a job.
"""

from __future__ import annotations

import logging

from .. import delayed, failure, keys
from ..decoding import to_wire
from ..delayed import DelayedItem
from ..exceptions import MalformedPayloadError
from ..payload import object_or_raw
from . import scripts

logger = logging.getLogger(__name__)


def enqueue_due(now: float, *, actor: str = "resque_scheduler", limit: int | None = None) -> int:
    """Move every delayed job due at ``now`` to its queue; returns how many moved.

    ``limit`` bounds the work of one call, so a huge backlog cannot starve the loop.
    """
    moved = 0
    while limit is None or moved < limit:
        stamp = delayed.next_timestamp(now)
        if stamp is None:
            break
        moved_here = move_timestamp(stamp, actor=actor)
        moved += moved_here
        if moved_here == 0 and delayed.next_timestamp(now) == stamp:
            break  # someone else holds this bucket's head right now; try next tick
    return moved


def move_timestamp(stamp: int, *, actor: str = "resque_scheduler") -> int:
    """Move every item of one bucket, whatever its time (also "enqueue this time now")."""
    total = 0
    while True:
        batch = delayed.items_at(stamp, 0, delayed.MOVE_BATCH)
        good = _leading_good_items(batch)
        if batch and not good:
            _set_aside_malformed(batch[0], actor)
            continue
        moved = _move_batch(stamp, good)  # with no items, only drops an empty bucket
        total += moved
        if not batch or moved < len(good):
            return total


def _leading_good_items(batch: list[DelayedItem]) -> list[DelayedItem]:
    good = []
    for item in batch:
        if item.payload is None:
            break
        good.append(item)
    return good


def _move_batch(stamp: int, items: list[DelayedItem]) -> int:
    """One script call: moves these items (a prefix of the bucket) or as many as still match.

    An item's ``timestamps`` entry is kept while another copy of it follows in the batch;
    a copy further away (rare) is moved by the same pass right after, as in Ruby.
    """
    script_keys = [keys.delayed(stamp), keys.delayed_schedule(), keys.queues()]
    args: list[str | int] = [keys.delayed_bucket_name(stamp), stamp]
    later: set[str] = set()
    last_copy = []
    for item in reversed(items):
        last_copy.append(item.raw not in later)
        later.add(item.raw)
    for item, is_last in zip(items, reversed(last_copy), strict=True):
        assert item.queue is not None and item.payload is not None
        script_keys += [keys.timestamps(item.raw), keys.queue(item.queue)]
        args += [item.raw, item.queue, item.payload.encode(), "1" if is_last else "0"]
    moved = scripts.run(scripts.MOVE_DUE, script_keys, [*args, keys.wake_channel()])
    if moved:
        logger.debug("Moved %d delayed job(s) of %d to their queues", moved, stamp)
    return moved


def _set_aside_malformed(item: DelayedItem, actor: str) -> None:
    """Record a malformed item as a failure, then remove it: first saved, never lost."""
    error = MalformedPayloadError("delayed item without a class and a queue", item.raw)
    logger.error("Delayed item at %d is malformed, moved to the failed list: %r", item.timestamp, item.raw[:200])
    failure.save(failure.from_exception(error, object_or_raw(to_wire(item.raw)), actor, "delayed"))
    delayed.remove_item(item.raw, [item.timestamp], copies=1)
