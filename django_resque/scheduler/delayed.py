"""Delayed jobs, stored as resque-scheduler stores them.

``delayed_queue_schedule`` (zset of epochs) -> ``delayed:<epoch>`` (list of items
``{"class","args","queue"}``) and ``timestamps:<item>`` (set of ``delayed:<epoch>``).
"""

from __future__ import annotations

from .. import keys
from ..connection import get_redis, translate_errors
from ..payload import Payload, dumps


def encode_item(queue: str, payload: Payload) -> str:
    """The delayed item: the payload with its queue as the last key, as Ruby writes it."""
    return dumps({**payload.as_dict(), "queue": queue})


def schedule(epoch: int, queue: str, payload: Payload) -> None:
    """Add a job to run at ``epoch`` (integer seconds), in one MULTI."""
    item = encode_item(queue, payload)
    pipe = get_redis().pipeline(transaction=True)
    pipe.rpush(keys.delayed(epoch), item)
    pipe.sadd(keys.timestamps(item), keys.delayed_bucket_name(epoch))
    pipe.zadd(keys.delayed_schedule(), {str(epoch): epoch})
    with translate_errors():
        pipe.execute()
