"""Per-queue failed lists, as Ruby's ``Failure::RedisMultiQueue``.

A failure of queue ``q`` goes to ``<ns>:q_failed``, whose name (without namespace)
is added to the ``<ns>:failed_queues`` set.
"""

from __future__ import annotations

from .. import keys
from ..connection import get_redis, translate_errors
from ..decoding import to_text
from .base import FailedList
from .record import FailureRecord
from .redis import RedisListBackend

_SUFFIX = keys.failed_list_name("")


class RedisMultiQueueFailure(RedisListBackend):
    """RPUSH onto the failed queue's own list and register the list, in one MULTI."""

    def save(self, record: FailureRecord) -> None:
        pipe = get_redis().pipeline(transaction=True)
        pipe.sadd(keys.failed_queues(), keys.failed_list_name(record.queue))
        pipe.rpush(keys.failed(record.queue), record.encode())
        with translate_errors():
            pipe.execute()

    def lists(self, queue: str | None = None) -> list[FailedList]:
        """``queue``'s list, or every registered list sorted by queue name."""
        if queue is not None:
            return [FailedList(keys.failed(queue), queue)]
        with translate_errors():
            members = get_redis().smembers(keys.failed_queues())
        names = sorted(to_text(member) for member in members)
        return [
            FailedList(keys.failed(name[: -len(_SUFFIX)]), name[: -len(_SUFFIX)])
            for name in names
            if name.endswith(_SUFFIX)
        ]

    def clear(self, queue: str | None = None) -> None:
        """Drop the lists (and their names from ``failed_queues``)."""
        found = self.lists(queue)
        if not found:
            return
        pipe = get_redis().pipeline(transaction=True)
        pipe.unlink(*(failed_list.key for failed_list in found))
        pipe.srem(keys.failed_queues(), *(keys.failed_list_name(str(item.queue)) for item in found))
        with translate_errors():
            pipe.execute()
