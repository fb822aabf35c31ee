"""The default failure backend: Resque's ``failed`` list, oldest first."""

from __future__ import annotations

from .. import keys
from ..connection import get_redis, translate_errors
from .base import FailedList, FailureBackend
from .record import FailureRecord, decode


class RedisListBackend(FailureBackend):
    """Queries shared by backends that keep records in Redis lists (see ``lists``)."""

    def count(self, queue: str | None = None) -> int:
        found = self.lists(queue)
        pipe = get_redis().pipeline(transaction=False)
        for failed_list in found:
            pipe.llen(failed_list.key)
        with translate_errors():
            return int(sum(pipe.execute())) if found else 0

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureRecord]:
        """Records ``offset`` .. ``offset + limit - 1`` of the first list (Ruby's ``all``)."""
        found = self.lists(queue)
        if not found or limit <= 0:
            return []
        with translate_errors():
            raws = get_redis().lrange(found[0].key, offset, offset + limit - 1)
        return [decode(raw) for raw in raws]

    def clear(self, queue: str | None = None) -> None:
        found = self.lists(queue)
        if found:
            with translate_errors():
                get_redis().unlink(*(failed_list.key for failed_list in found))


class RedisFailure(RedisListBackend):
    """RPUSH each record onto ``<ns>:failed``, as Ruby's ``Failure::Redis``."""

    def save(self, record: FailureRecord) -> None:
        with translate_errors():
            get_redis().rpush(keys.failed(), record.encode())

    def lists(self, queue: str | None = None) -> list[FailedList]:
        """The one ``failed`` list; it holds every queue's failures."""
        return [FailedList(keys.failed())]
