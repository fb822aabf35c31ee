"""Wait for a job without polling and without taking it.

Each watched queue gets its own connection with ``BLMOVE q q LEFT LEFT <block>``
armed on it: moving a list's head onto itself changes nothing, but the reply arrives
as soon as the queue is non-empty. ``select()`` on those sockets (and the signal
wake-up pipe) returns on the first one; the reserve script then takes the job. A job
is therefore never held in memory only: if this process dies while waiting, the
queues are exactly as they were. Connections stay armed across waits and are
re-armed only once they have answered.
"""

from __future__ import annotations

import logging
import select
from typing import Any

import redis

from .. import keys
from ..connection import get_redis, text, translate_errors
from .reserve import has_globs, matching_queues

logger = logging.getLogger(__name__)


class QueueWaiter:
    """Blocks until a watched queue may hold a job, a wake-up fd is readable, or time passes."""

    def __init__(self, patterns: list[str], block_seconds: float) -> None:
        self.patterns = patterns
        self.block_seconds = max(1, round(block_seconds))
        self._connections: dict[str, Any] = {}  # queue name -> its redis Connection
        self._pending: set[str] = set()  # queues whose BLMOVE has not answered yet

    def wait(self, timeout: float, wake_fds: tuple[int, ...] = ()) -> bool:
        """Return when there may be work, a wake fd is readable, or after ``timeout`` s.

        True when a queue's blocking call answered (with a job seen, or timed out).
        """
        try:
            self._arm(self._queue_names())
            if not any(conn.can_read(timeout=0) for conn in self._connections.values()):
                sockets = [conn._sock for conn in self._connections.values() if conn._sock is not None]
                select.select([*sockets, *wake_fds], [], [], max(0.0, timeout))
            return self._collect_replies()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            self.close()
            raise

    def close(self) -> None:
        """Drop every connection (at exit, after an error)."""
        for conn in self._connections.values():
            conn.disconnect()
        self._connections.clear()
        self._pending.clear()

    def _queue_names(self) -> list[str]:
        if not has_globs(self.patterns):
            return self.patterns
        with translate_errors():
            known = sorted(text(member) for member in get_redis().smembers(keys.queues()))
        return matching_queues(self.patterns, known)

    def _arm(self, names: list[str]) -> None:
        for name in [name for name in self._connections if name not in names]:
            self._connections.pop(name).disconnect()
            self._pending.discard(name)
        for name in names:
            if name in self._pending:
                continue
            key = keys.queue(name)
            conn = self._connections.get(name)
            if conn is None:
                conn = self._connections[name] = _new_connection(key)
            conn.send_command("BLMOVE", key, key, "LEFT", "LEFT", self.block_seconds)
            self._pending.add(name)

    def _collect_replies(self) -> bool:
        """Read the replies that arrived; those queues are re-armed on the next wait."""
        answered = False
        for name in list(self._pending):
            conn = self._connections[name]
            if conn.can_read(timeout=0):
                conn.read_response()
                answered = True
                self._pending.discard(name)
        return answered


def _new_connection(key: str) -> Any:
    """A connection of our own to the server holding ``key`` (the cluster node, if any)."""
    client: Any = get_redis()
    pool = getattr(client, "connection_pool", None)
    if pool is None:  # RedisCluster: one pool per node
        pool = client.get_node_from_key(key).redis_connection.connection_pool
    return pool.make_connection()
