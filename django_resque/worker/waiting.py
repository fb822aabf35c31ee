"""Wait for a job without polling and without taking it, on one connection whatever the queues.

Our scripts publish a queue's name on the namespace's wake channel
(``keys.wake_channel``) when they push onto that queue while it is empty. The waiter
keeps one connection subscribed to that channel; ``select()`` on its socket (and on the
signal wake-up pipe) returns on the first announcement of a queue the worker watches,
with the watched queues announced, in the worker's priority order. The worker reserves
over those alone: the reserve then costs the few queues announced, not every queue the
worker watches, so a thousand queues and many idle workers woken by one job cost the
server a few microseconds each, not a walk over all the queues each. (A timeout, a
signal or a new subscription returns no names: the worker then reserves over all its
queues.) An announcement carries a name only: the job stays in its queue until that
reserve moves it, so a job is never in a process's memory only.

Why announcing pushes onto empty queues is enough: the subscription is open before the
reserve that found every watched queue empty, so a watched queue that holds a job later
was pushed onto while empty after that reserve, and that push was announced to us:
reserving over the announced queues misses none (and after each job the worker reserves
over all its queues again, so a queue holding more than one job is served). So
a new subscription (the first wait, or after a lost connection) returns at once, and
the worker reserves once more before it blocks. A push that announces nothing (a Ruby
client's plain ``RPUSH``) is found by the reserve the worker runs at least every
``--interval``, as Ruby's workers poll.

Announcements that arrive while the worker is busy wait in the socket: the next wait
reads them all and returns, and the worker reserves once more. If the server drops the
subscription (its pub/sub output buffer limit, a restart), the next wait subscribes
again. If it refuses the connection (``maxclients``), the worker polls every
``--interval`` and says so once (``django_resque/capacity.py``).
"""

from __future__ import annotations

import functools
import logging
import select
import time
from typing import Any

import redis

from .. import capacity, keys
from ..connection import get_redis
from ..queue import priority, watches

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 10.0  # seconds to wait for the server to confirm the subscription
MAX_ANNOUNCED = 100  # more watched queues announced at once than this: reserve over all of them


class QueueWaiter:
    """Blocks until a watched queue is announced, a wake-up fd is readable, or time passes."""

    def __init__(self, patterns: list[str], interval: float) -> None:
        self.patterns = patterns
        self.interval = interval
        self._connection: Any = None  # subscribed to the wake and kill channels
        self._kills: set[str] = set()  # job ids named on the kill channel, not taken yet

    def wait(self, timeout: float, wake_fds: tuple[int, ...] = ()) -> list[str]:
        """Return when a watched queue may hold a job, a wake fd is readable, or after ``timeout`` s.

        Returns the watched queues announced, in priority order: the only ones that can
        hold a job since the reserve that found them all empty. Returns ``[]`` when the
        caller should reserve over all its queues: at once after subscribing (the
        caller's reserve then runs with the subscription open), on a timeout, a wake fd,
        or too many names. Redis errors are not raised: the caller's reserve meets them.
        """
        if self._connection is None:
            if not self._subscribe():
                select.select(list(wake_fds), [], [], max(0.0, timeout))  # no subscription: poll
            return []
        deadline = time.monotonic() + max(0.0, timeout)
        announced: set[str] = set()
        try:
            while not self._read_announcements(announced):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                readable, _, _ = select.select([self._connection._sock, *wake_fds], [], [], remaining)
                if any(fd in readable for fd in wake_fds):
                    return []
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            logger.info("The wait for jobs lost its connection (%s); subscribing again", exc)
            self.close()
            return []
        if len(announced) > MAX_ANNOUNCED:
            return []
        return sorted(announced, key=functools.partial(priority, self.patterns))

    def subscribe(self) -> None:
        """Subscribe now, not at the first wait (a refusal is said; waits and kill_fds try again)."""
        if self._connection is None:
            self._subscribe()

    def kill_fds(self) -> list[int]:
        """What to select() on for kill requests while a job runs (subscribing first if need be)."""
        if self._connection is None and not self._subscribe():
            return []
        return [self._connection._sock.fileno()]

    def take_kill_request(self, job_id: str | None) -> bool:
        """Whether ``cancel(job_id, kill=True)`` was published since the last call (others are dropped)."""
        try:
            if self._connection is not None:
                self._read_announcements(set())
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            logger.info("The subscription for kill requests was lost (%s); subscribing again", exc)
            self.close()
        kills, self._kills = self._kills, set()
        return job_id is not None and job_id in kills

    def close(self) -> None:
        """Drop the subscription (at exit, after an error)."""
        if self._connection is not None:
            self._connection.disconnect()
            self._connection = None

    def _subscribe(self) -> bool:
        """Open the subscription; False (and said once) if the server refused it."""
        connection = _new_connection(keys.queues())
        try:
            connection.send_command("SUBSCRIBE", keys.wake_channel(), keys.kill_channel())
            for _ in range(2):  # one confirmation per channel
                if not connection.can_read(timeout=SUBSCRIBE_TIMEOUT):
                    raise redis.TimeoutError("no reply to SUBSCRIBE in %ss" % SUBSCRIBE_TIMEOUT)
                connection.read_response(push_request=True)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            connection.disconnect()
            meanwhile = "Meanwhile this worker looks for jobs every %ss." % self.interval
            if not capacity.refused(exc, meanwhile):
                logger.warning("Could not subscribe to the wake channel (%s). %s", exc, meanwhile)
            return False
        capacity.connected()
        self._connection = connection
        return True

    def _read_announcements(self, announced: set[str]) -> bool:
        """Read every message that arrived, adding the watched queues named (and noting kill
        requests); True if a watched queue is named."""
        connection = self._connection
        kill_channel = keys.kill_channel().encode()
        while connection.can_read(timeout=0):
            message = connection.read_response(push_request=True)
            if not (isinstance(message, list) and len(message) == 3 and message[0] in (b"message", "message")):
                continue
            name = _as_name(message[2])
            if name is None:
                continue
            if message[1] in (kill_channel, kill_channel.decode()):
                self._kills.add(name)
            elif watches(self.patterns, name):
                announced.add(name)
        return bool(announced)


def _as_name(published: object) -> str | None:
    """A published queue name, or None for what cannot be one (anyone may publish: not UTF-8, a glob)."""
    if isinstance(published, bytes):
        try:
            published = published.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(published, str) or "*" in published or "?" in published:
        return None
    return published


def _new_connection(key: str) -> Any:
    """A connection of our own to the server holding ``key`` (the cluster node, if any)."""
    client: Any = get_redis()
    pool = getattr(client, "connection_pool", None)
    if pool is None:  # RedisCluster: one pool per node
        pool = client.get_node_from_key(key).redis_connection.connection_pool
    return pool.make_connection()
