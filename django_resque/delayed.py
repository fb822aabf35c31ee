"""Delayed jobs, stored as resque-scheduler stores them.

``delayed_queue_schedule`` (zset of epochs) -> ``delayed:<epoch>`` (list of items
``{"class","args","queue"}``) and ``timestamps:<item>`` (set of ``delayed:<epoch>``).
Items are compared by their exact bytes, as Ruby does, so ``encode_item`` must write
Ruby's bytes: compact JSON with ``queue`` as the last key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import keys, scripts, status
from .connection import get_redis, translate_errors
from .decoding import exact_text, loads_object, to_int, to_text, to_wire
from .exceptions import MalformedPayloadError
from .payload import Payload, dumps, from_dict
from .queue import check_name

if TYPE_CHECKING:
    from redis.client import Pipeline

    from .job import Job

logger = logging.getLogger(__name__)

# Items moved per script call: large enough to be quick, small enough not to block Redis.
MOVE_BATCH = 100


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
    """Every timestamp at which exactly this call waits (Ruby's ``scheduled_at``)."""
    item = _item_for(job, args, kwargs)
    with translate_errors():
        members = get_redis().smembers(keys.timestamps(item))
    return sorted(_epoch_of(member) for member in members)


def find(name: str, *, limit: int = 1000) -> list[DelayedItem]:
    """Delayed items whose job is named ``name``, scanning at most ``limit`` items."""
    found: list[DelayedItem] = []
    scanned = 0
    for stamp in timestamps(0, -1):
        for item in items_at(stamp, 0, -1):
            scanned += 1
            if item.payload is not None and item.payload.name == name:
                found.append(item)
            if scanned >= limit:
                return found
    return found


# Changing --------------------------------------------------------------------------


def remove_delayed(job: Job, *args: Any, **kwargs: Any) -> int:
    """Remove every delayed copy of exactly this call; returns how many were removed."""
    item = _item_for(job, args, kwargs)
    with translate_errors():
        members = get_redis().smembers(keys.timestamps(item))
    stamps = [_epoch_of(member) for member in members]
    return remove_item(item, stamps)


def remove_delayed_job_from_timestamp(timestamp: int, job: Job, *args: Any, **kwargs: Any) -> int:
    """Remove the copies of exactly this call waiting at ``timestamp``."""
    return remove_item(_item_for(job, args, kwargs), [timestamp])


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
    """Remove the job with this id waiting at ``timestamp`` (reading that one bucket); how many."""
    found = [item.raw for item in items_at(timestamp, 0, -1) if item.payload is not None and item.payload.id == job_id]
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


def _item_for(job: Job, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return encode_item(job.queue, job.payload(*args, **kwargs))


def _epoch_of(member: Any) -> int:
    """A zset member ``1795353247`` or a bucket name ``delayed:1795353247`` -> 1795353247.

    A member that is not an integer (written by another program) reads as -1: no bucket.
    """
    epoch = to_int(to_text(member).rpartition(":")[2], None)
    return epoch if epoch is not None and epoch >= 0 else -1
