"""Delayed jobs, stored as resque-scheduler stores them.

``delayed_queue_schedule`` (zset of epochs) -> ``delayed:<epoch>`` (list of items
``{"class","args","queue"}``) and ``timestamps:<item>`` (set of ``delayed:<epoch>``).
Ruby compares items by their exact bytes, so ``encode_item`` must write Ruby's bytes:
compact JSON with ``queue`` as the last key. Items scheduled here also carry the job's
id, so the lookups by call (``scheduled_at``, ``remove_delayed``) find those by their
decoded class, args and queue instead, walking the buckets as resque-scheduler's
``find_delayed_selection`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from . import keys, scripts, status
from .connection import get_redis, translate_errors
from .decoding import exact_text, loads_object, to_int, to_text, to_wire
from .exceptions import MalformedPayloadError
from .payload import Payload, canonical, dumps, from_dict
from .queue import check_name

if TYPE_CHECKING:
    from redis.client import Pipeline

    from .job import Job

logger = logging.getLogger(__name__)

# Items moved per script call: large enough to be quick, small enough not to block Redis.
MOVE_BATCH = 100
# Buckets read per pipelined round when walking them all (resque-scheduler's
# find_delayed_selection reads 100 too: beyond that there is almost no gain).
WALK_WINDOW = 100
# Items per LRANGE when a bucket is read: a bucket of any size (100,000 jobs due at 9:00)
# is read a page at a time, never holding Redis for the whole of it.
BUCKET_PAGE = 1000


@dataclass(frozen=True)
class DelayedItem:
    """One delayed job as stored: its time, exact bytes, and decoded queue and payload.

    ``queue`` and ``payload`` are None when the stored bytes are not a valid item.
    """

    timestamp: int
    raw: str
    queue: str | None
    payload: Payload | None


def encode_item(queue: str, payload: Payload) -> str:
    """The delayed item: the payload with its queue as the last key, as Ruby writes it."""
    return dumps({**payload.as_dict(), "queue": queue})


def decode_item(timestamp: int, raw: bytes | str) -> DelayedItem:
    """Parse a stored item; a malformed one comes back with queue and payload None."""
    stored = exact_text(raw)
    try:
        data = loads_object(raw)
        queue = data.pop("queue", None)
        if not isinstance(queue, str) or not queue:
            raise MalformedPayloadError("'queue' is missing or not a string", stored)
        return DelayedItem(timestamp, stored, queue, from_dict(data, stored))
    except (ValueError, KeyError):
        return DelayedItem(timestamp, stored, None, None)


def schedule(epoch: int, queue: str, payload: Payload) -> None:
    """Add a job to run at ``epoch`` (integer seconds), in one MULTI, with its record if it has an id."""
    pipe = get_redis().pipeline(transaction=True)
    add_to_schedule(pipe, epoch, queue, payload)
    if payload.id is not None:
        status.add_scheduled(pipe, payload.id, payload.name, queue, epoch)
    with translate_errors():
        pipe.execute()


def add_to_schedule(pipe: Pipeline, epoch: int, queue: str, payload: Payload) -> None:
    """Queue the commands of ``schedule`` on ``pipe``, so a caller can join them to its own MULTI."""
    check_name(queue)
    item = encode_item(queue, payload)
    pipe.rpush(keys.delayed(epoch), item)
    pipe.sadd(keys.timestamps(item), keys.delayed_bucket_name(epoch))
    pipe.zadd(keys.delayed_schedule(), {str(epoch): epoch})


# Reading ---------------------------------------------------------------------------


def schedule_size() -> int:
    """How many timestamps have delayed jobs (Ruby's ``delayed_queue_schedule_size``)."""
    with translate_errors():
        return int(get_redis().zcard(keys.delayed_schedule()))


def timestamp_size(timestamp: int) -> int:
    """How many jobs wait at ``timestamp`` (Ruby's ``delayed_timestamp_size``)."""
    with translate_errors():
        return int(get_redis().llen(keys.delayed(timestamp)))


def count_all() -> int:
    """Every delayed job at every timestamp (Ruby's ``count_all_scheduled_jobs``)."""
    stamps = timestamps(0, -1)
    pipe = get_redis().pipeline(transaction=False)
    for stamp in stamps:
        pipe.llen(keys.delayed(stamp))
    with translate_errors():
        return int(sum(pipe.execute())) if stamps else 0


def timestamps(start: int = 0, count: int = 50) -> list[int]:
    """Timestamps with delayed jobs, soonest first; ``count=-1`` for all."""
    if count == 0:
        return []
    stop = -1 if count < 0 else start + count - 1
    with translate_errors():
        members = get_redis().zrange(keys.delayed_schedule(), start, stop)
    return [_epoch_of(member) for member in members]


def items_at(timestamp: int, start: int = 0, count: int = 50) -> list[DelayedItem]:
    """The items waiting at ``timestamp``, in order; ``count=-1`` for all."""
    if count == 0:
        return []
    stop = -1 if count < 0 else start + count - 1
    with translate_errors():
        raws = get_redis().lrange(keys.delayed(timestamp), start, stop)
    return [decode_item(timestamp, raw) for raw in raws]


def next_timestamp(now: float) -> int | None:
    """The earliest timestamp due at ``now``, if any.

    A member that is not an epoch (another program wrote it) names no bucket we could
    move: it is removed, with a warning naming it, so it cannot hold up the due ones.
    """
    while True:
        with translate_errors():
            found = get_redis().zrangebyscore(keys.delayed_schedule(), "-inf", int(now), start=0, num=1)
        if not found:
            return None
        member: Any = found[0]
        epoch = _epoch_of(member)
        if epoch >= 0:
            return epoch
        logger.warning("Removed %r from %s: not an epoch, so no delayed bucket", member, keys.delayed_schedule())
        with translate_errors():
            get_redis().zrem(keys.delayed_schedule(), member)


def scheduled_at(job: Job, *args: Any, **kwargs: Any) -> list[int]:
    """Every timestamp at which this call waits, with or without an id (Ruby's ``scheduled_at``).

    Costs a walk of every delayed job (see ``remove_delayed``).
    """
    call = _Call.of(job, args, kwargs)
    stamps = set(_exact_stamps(call.item))
    for found in _copies_with_extra_keys(call, _walk()).values():
        stamps.update(found)
    return sorted(stamps)


def find(name: str, *, limit: int = 1000) -> list[DelayedItem]:
    """Delayed items whose job is named ``name``, scanning at most ``limit`` items (``_walk``)."""
    found: list[DelayedItem] = []
    scanned = 0
    for stamp, raws in _walk():
        for item in (decode_item(stamp, raw) for raw in raws):
            scanned += 1
            if item.payload is not None and item.payload.name == name:
                found.append(item)
            if scanned >= limit:
                return found
    return found


# Changing --------------------------------------------------------------------------


def remove_delayed(job: Job, *args: Any, **kwargs: Any) -> int:
    """Remove every delayed copy of this call, with or without an id; returns how many were removed.

    Copies without an id (Ruby's, or written before ids) are found by their exact bytes,
    through ``timestamps:<item>``. Copies carrying an id (``enqueue_in``/``enqueue_at``)
    are found by walking every bucket, ``WALK_WINDOW`` at a time, and comparing decoded
    class, args and queue: the cost grows with the number of delayed jobs, as with
    resque-scheduler's ``remove_delayed_selection``. To drop one job of ours, ``cancel(id)``
    reads only its bucket.
    """
    call = _Call.of(job, args, kwargs)
    removed = remove_item(call.item, _exact_stamps(call.item))
    return removed + _remove_copies(_copies_with_extra_keys(call, _walk()))


def remove_delayed_job_from_timestamp(timestamp: int, job: Job, *args: Any, **kwargs: Any) -> int:
    """Remove the copies of this call waiting at ``timestamp``, with or without an id.

    Reads that one bucket, ``BUCKET_PAGE`` items a call: the cost grows with the jobs waiting
    at ``timestamp``.
    """
    call = _Call.of(job, args, kwargs)
    removed = remove_item(call.item, [timestamp])
    pages = ((timestamp, page) for page in _pages(timestamp))
    return removed + _remove_copies(_copies_with_extra_keys(call, pages))


def remove_item(raw: str, stamps: list[int], *, copies: int = 0) -> int:
    """Remove the item with exactly these bytes from these timestamps (``copies`` 0 = all)."""
    if not stamps:
        return 0
    bucket_keys = [keys.delayed(stamp) for stamp in stamps]
    args: list[bytes | str | int] = [to_wire(raw), copies]
    for stamp in stamps:
        args += [keys.delayed_bucket_name(stamp), stamp]
    timestamps_key = to_wire(keys.timestamps(raw))
    return int(scripts.run(scripts.REMOVE_ITEM, [timestamps_key, keys.delayed_schedule(), *bucket_keys], args))


def remove_by_id(timestamp: int, job_id: str) -> int:
    """Remove the job with this id waiting at ``timestamp`` (reading that one bucket); how many.

    Only items holding the id's text are decoded: cancelling one job of a large bucket
    costs the bucket's bytes, not a decode of each of its jobs.
    """
    marker = to_wire('"id":' + dumps(job_id))
    found = []
    for page in _pages(timestamp):
        for raw in page:
            if marker in raw:
                item = decode_item(timestamp, raw)
                if item.payload is not None and item.payload.id == job_id:
                    found.append(item.raw)
    return sum(remove_item(raw, [timestamp], copies=1) for raw in found)


def enqueue_now(timestamp: int, raw: str) -> bool:
    """Move one delayed item (by its exact bytes) to its queue now; False if it is gone."""
    item = decode_item(timestamp, raw)
    if item.queue is None or item.payload is None:
        raise MalformedPayloadError("not a delayed item with a class and a queue", raw)
    moved = scripts.run(
        scripts.ENQUEUE_ITEM_NOW,
        [
            keys.delayed(timestamp),
            keys.timestamps(raw),
            keys.delayed_schedule(),
            keys.queues(),
            keys.queue(item.queue),
        ],
        [raw, keys.delayed_bucket_name(timestamp), timestamp, item.queue, item.payload.encode(), keys.wake_channel()],
    )
    return bool(moved)


@dataclass(frozen=True)
class _Call:
    """One call of a job, as the lookups by call compare delayed items with it."""

    job: Job
    item: str  # the item without an id, as Ruby would write it: found by its exact bytes
    arguments: str  # canonical (positional, keyword) arguments, as the job would be called
    needle: bytes  # the job name as JSON text: an item with neither it nor a backslash is not this job

    @classmethod
    def of(cls, job: Job, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        payload = job.payload(*args, **kwargs)
        needle = to_wire(dumps(job.name)[1:-1])
        return cls(job, encode_item(job.queue, payload), canonical(job.call_arguments(payload)), needle)

    def may_be(self, raw: bytes) -> bool:
        """A cheap test before decoding: False only for items that cannot be of this job."""
        return self.needle in raw or b"\\" in raw

    def is_copy_with_extra_keys(self, item: DelayedItem) -> bool:
        """Whether ``item`` is this call on this queue, carrying keys beyond class, args and queue (an id)."""
        payload = item.payload
        if payload is None or not payload.extra or item.queue != self.job.queue or payload.name != self.job.name:
            return False
        return canonical(self.job.call_arguments(payload)) == self.arguments


def _exact_stamps(item: str) -> list[int]:
    """The timestamps ``timestamps:<item>`` lists for these exact bytes."""
    with translate_errors():
        members = get_redis().smembers(keys.timestamps(item))
    return [_epoch_of(member) for member in members]


def _walk() -> Iterator[tuple[int, list[bytes]]]:
    """(timestamp, a page of its stored items) for every bucket in the schedule.

    ``WALK_WINDOW`` timestamps a round, their first pages in one pipelined round trip; a
    bucket larger than a page is read on, ``BUCKET_PAGE`` items a call. Pages by score,
    not position: the scheduler popping due timestamps meanwhile cannot make the walk
    skip later ones. (A timestamp's score is its epoch, so scores are distinct; members
    another program wrote with a shared score may be skipped.)
    """
    seen: set[int] = set()
    low = "-inf"
    while True:
        with translate_errors():
            found: list[Any] = get_redis().zrangebyscore(
                keys.delayed_schedule(), low, "+inf", start=0, num=WALK_WINDOW, withscores=True
            )
        epochs = dict.fromkeys(_epoch_of(member) for member, _ in found)
        stamps = [stamp for stamp in epochs if stamp >= 0 and stamp not in seen]
        seen.update(stamps)
        for stamp, first in zip(stamps, _first_pages(stamps), strict=True):
            yield stamp, first
            if len(first) == BUCKET_PAGE:
                yield from ((stamp, page) for page in _pages(stamp, start=BUCKET_PAGE))
        if len(found) < WALK_WINDOW:
            return
        low = f"({found[-1][1]!r}"


def _first_pages(stamps: list[int]) -> list[list[bytes]]:
    """The first page of each timestamp's bucket, in one pipelined round; a key that is not a list reads as empty."""
    if not stamps:
        return []
    pipe = get_redis().pipeline(transaction=False)
    for stamp in stamps:
        pipe.lrange(keys.delayed(stamp), 0, BUCKET_PAGE - 1)
    with translate_errors():
        replies = pipe.execute(raise_on_error=False)
    return [_page_of(stamp, reply) for stamp, reply in zip(stamps, replies, strict=True)]


def _pages(stamp: int, start: int = 0) -> Iterator[list[bytes]]:
    """A bucket's items from ``start``, ``BUCKET_PAGE`` a call, up to a short page.

    By position: items taken off the head meanwhile (the scheduler moving a due
    bucket) can make a page skip as many; items of a future bucket are only appended.
    """
    while True:
        with translate_errors():
            try:
                reply: Any = get_redis().lrange(keys.delayed(stamp), start, start + BUCKET_PAGE - 1)
            except redis.ResponseError as exc:
                reply = exc
        page = _page_of(stamp, reply)
        if page:
            yield page
        if len(page) < BUCKET_PAGE:
            return
        start += BUCKET_PAGE


def _page_of(stamp: int, reply: Any) -> list[bytes]:
    if isinstance(reply, Exception):
        logger.warning("Skipped %s: not a list of delayed jobs (%s)", keys.delayed(stamp), reply)
        return []
    return [_as_bytes(raw) for raw in reply]


def _copies_with_extra_keys(call: _Call, buckets: Iterable[tuple[int, list[bytes]]]) -> dict[str, set[int]]:
    """The items of ``call`` that carry extra keys, as exact text -> the timestamps holding them.

    An item that does not decode (another program's, or hostile) is not this call: skipped.
    """
    found: dict[str, set[int]] = {}
    for stamp, raws in buckets:
        for raw in filter(call.may_be, raws):
            item = decode_item(stamp, raw)
            if call.is_copy_with_extra_keys(item):
                found.setdefault(item.raw, set()).add(stamp)
    return found


def _remove_copies(found: dict[str, set[int]]) -> int:
    """Remove each item by its exact bytes from its timestamps (REMOVE_ITEM cleans up as it goes).

    A removed job that has an id is marked cancelled, so ``fetch(id)`` no longer says scheduled.
    """
    removed = 0
    for raw, stamps in found.items():
        count = remove_item(raw, sorted(stamps))
        job_id = decode_item(0, raw).payload.id if count else None  # type: ignore[union-attr]
        if job_id is not None:
            status.mark_cancelled(job_id)
        removed += count
    return removed


def _as_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else to_wire(raw)


def _epoch_of(member: Any) -> int:
    """A zset member ``1795353247`` or a bucket name ``delayed:1795353247`` -> 1795353247.

    A member that is not an integer (written by another program) reads as -1: no bucket.
    """
    epoch = to_int(to_text(member).rpartition(":")[2], None)
    return epoch if epoch is not None and epoch >= 0 else -1
