"""Delayed jobs, stored as resque-scheduler stores them.

``delayed_queue_schedule`` (zset of epochs) -> ``delayed:<epoch>`` (list of items
``{"class","args","queue"}``) and ``timestamps:<item>`` (set of ``delayed:<epoch>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import keys
from ..connection import get_redis, translate_errors
from ..payload import Payload, dumps

if TYPE_CHECKING:
    from redis.client import Pipeline


def encode_item(queue: str, payload: Payload) -> str:
    """The delayed item: the payload with its queue as the last key, as Ruby writes it."""
    return dumps({**payload.as_dict(), "queue": queue})


def schedule(epoch: int, queue: str, payload: Payload) -> None:
    """Add a job to run at ``epoch`` (integer seconds), in one MULTI."""
    pipe = get_redis().pipeline(transaction=True)
    add_to_schedule(pipe, epoch, queue, payload)
    with translate_errors():
        pipe.execute()


def add_to_schedule(pipe: Pipeline, epoch: int, queue: str, payload: Payload) -> None:
    """Queue the commands of ``schedule`` on ``pipe``, so a caller can join them to its own MULTI."""
    item = encode_item(queue, payload)
    pipe.rpush(keys.delayed(epoch), item)
    pipe.sadd(keys.timestamps(item), keys.delayed_bucket_name(epoch))
    pipe.zadd(keys.delayed_schedule(), {str(epoch): epoch})
