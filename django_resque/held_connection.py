"""One Redis connection per process, held across calls for the commands ``connection.execute`` runs.

Taking a connection from redis-py's pool and giving it back costs a small command
about a fifth of its client CPU (the pool's lock, in-use set, observability counters
and release event). The held connection skips that, and only that:

- It comes from the client's own pool, once, and stays counted there as in use, so
  ``client.close()`` or ``pool.disconnect()`` disconnects it like any other; its next
  command reconnects. It is a redis-py ``Connection``: its retry policy, timeouts and
  disconnect-on-error are unchanged.
- Thread-safe: a caller takes it with a non-blocking lock; a caller that finds it busy
  (another thread, or a signal handler enqueueing mid-command) gets ``UNAVAILABLE`` and uses
  the pool, as before.
- Fork-safe: it belongs to the pid that took it. A forked child forgets it on first
  use, without touching its socket, and takes its own from its own pool; an at-fork
  hook frees the lock if a parent thread held it.
- Checked before every command as the pool checks a connection it hands out
  (connected, nothing unread), and the caller disconnects it on any exception between
  sending a command and reading its reply (``connection.execute``).

A worker declines (``decline``): its commands then share the pool's one idle
connection, so a worker holds two connections in all, one for commands and one to
wait for jobs; the processes it forks hold one as usual.

Only plain ``redis.ConnectionPool`` pools of redis-py's default size or more, without
client-side cache or RESP3 maintenance notifications, are held from; the others
(blocking, Sentinel, smaller) keep using their pool for every command.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import redis

# redis-py 8's default pool limit. The held connection takes one of the pool's slots
# for the life of the process, so a pool sized below the default is left as configured.
_MIN_POOL_SIZE = 100

UNAVAILABLE: Any = object()  # returned by ``run`` when the held connection cannot be used


class _Held(NamedTuple):
    pid: int
    pool: Any
    connection: Any  # None: this pool is not held from


_lock = threading.Lock()
_held: _Held | None = None
_watching_forks = False
_declined_by: int | None = None  # the pid of a process that holds no connection


def run(pool: Any, command: Callable[[Any, tuple[Any, ...]], Any], args: tuple[Any, ...]) -> Any:
    """``command(connection, args)`` on the held connection for ``pool``; UNAVAILABLE if busy or not held."""
    lock = _lock
    if not lock.acquire(blocking=False):
        return UNAVAILABLE
    try:
        connection = _connection_for(pool)
        if connection is None:
            return UNAVAILABLE
        return command(connection, args)
    finally:
        lock.release()


def decline() -> None:
    """This process holds no connection from now on (a worker); its children still do."""
    global _declined_by
    with _lock:
        _let_go()
        _declined_by = os.getpid()


def forget() -> None:
    """Drop the held connection without touching its socket, and any ``decline`` (tests, embedding)."""
    global _lock, _held, _declined_by
    _lock, _held, _declined_by = threading.Lock(), None, None


def _connection_for(pool: Any) -> Any:
    held = _held
    if held is None or held.pool is not pool or held.pid != os.getpid():
        return _hold(pool)
    if held.connection is not None:
        _check(held.connection)
    return held.connection


def _hold(pool: Any) -> Any:
    """Take a connection from ``pool`` to hold (the pool checks it); a previous pool's goes back."""
    global _held
    _let_go()
    _watch_forks()
    connection = pool.get_connection() if _holdable(pool) and _declined_by != os.getpid() else None
    _held = _Held(os.getpid(), pool, connection)
    return connection


def _let_go() -> None:
    """Give the held connection back to its pool, or forget it if it is another process's."""
    global _held
    held, _held = _held, None
    if held is not None and held.connection is not None and held.pid == os.getpid():
        held.pool.release(held.connection)


def _holdable(pool: Any) -> bool:
    if type(pool) is not redis.ConnectionPool or pool.max_connections < _MIN_POOL_SIZE:
        return False
    if getattr(pool, "cache", None) is not None:
        return False
    return not _may_push(pool)


def _may_push(pool: Any) -> bool:
    """Whether the server may send unrequested data (RESP3 maintenance notifications)."""
    enabled = getattr(pool, "maint_notifications_enabled", None)
    return bool(enabled and enabled()) and str(pool.connection_kwargs.get("protocol")) == "3"


def _check(connection: Any) -> None:
    """As ``ConnectionPool.get_connection`` checks a connection: connected, with nothing left to read.

    A server that closed the socket (restart, CLIENT KILL, idle timeout) shows here, so
    the command goes out on a fresh connection rather than failing into the retry policy.
    """
    try:
        if connection.can_read():  # connects first if disconnected
            raise redis.ConnectionError("Connection has data")
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        connection.disconnect()
        if connection.can_read():
            raise redis.ConnectionError("Connection not ready") from None


def _watch_forks() -> None:
    global _watching_forks
    if not _watching_forks and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_unlock_in_child)
        _watching_forks = True


def _unlock_in_child() -> None:
    """A child forked while a parent thread was mid-command: that thread is not here to release the lock.

    Nothing else is touched, so a job process that never uses Redis copies no page for
    this; the parent's connection is dropped by the pid check on first use.
    """
    global _lock
    if _lock.locked():
        _lock = threading.Lock()
