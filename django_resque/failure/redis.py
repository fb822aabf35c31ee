"""The default failure backend: Resque's ``failed`` list, oldest first."""

from __future__ import annotations

from .. import keys
from ..connection import get_redis, translate_errors
from .base import FailureBackend
from .record import FailureRecord, decode


class RedisFailure(FailureBackend):
    """RPUSH each record onto ``<ns>:failed`` and count it in ``stat:failed``."""

    def save(self, record: FailureRecord) -> None:
        with translate_errors():
            get_redis().rpush(keys.failed(), record.encode())

    def count(self, queue: str | None = None) -> int:
        with translate_errors():
            return int(get_redis().llen(keys.failed()))

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureRecord]:
        with translate_errors():
            raws = get_redis().lrange(keys.failed(), offset, offset + limit - 1)
        return [decode(raw) for raw in raws]

    def clear(self, queue: str | None = None) -> None:
        with translate_errors():
            get_redis().delete(keys.failed())
