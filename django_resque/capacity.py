"""Saying once, plainly, that the Redis server has no room for this worker's connections.

A worker holds two connections, whatever the number of queues: one for its commands
and one subscribed to the wake channel (``worker/waiting.py``), plus one per running job that
uses Redis. A server at its ``maxclients`` refuses the next connection with "max number
of clients reached"; instead of a warning per retry, the worker says once what the
server allows and what the registered workers need, and says again only after a
connection got through.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from . import keys
from .connection import get_redis

logger = logging.getLogger(__name__)

CONNECTIONS_PER_WORKER = 2
_said = False


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` is the server refusing a connection for lack of room (``maxclients``)."""
    while error is not None:
        if "max number of clients" in str(error):
            return True
        error = error.__cause__  # type: ignore[assignment]
    return False


def refused(error: BaseException, meanwhile: str) -> bool:
    """Say once that the server refuses connections; False if ``error`` is something else."""
    global _said
    if not is_refusal(error):
        return False
    if not _said:
        _said = True
        logger.error("%s %s", explain(), meanwhile)
    else:
        logger.debug("Redis still refuses connections (%s)", error)
    return True


def connected() -> None:
    """A connection got through: a later refusal is said again."""
    global _said
    _said = False


def explain() -> str:
    """What the server allows and what the workers need, as far as the server still answers."""
    maxclients, workers = _server_figures()
    allows = f"its maxclients ({maxclients})" if maxclients else "its maxclients"
    verb = "worker needs" if workers == 1 else "workers need"
    needs = f"; the {workers} registered {verb} about {workers * CONNECTIONS_PER_WORKER}" if workers else ""
    return (
        f"Redis refuses new connections: it has reached {allows}. Each worker needs "
        f"{CONNECTIONS_PER_WORKER} connections (one for commands, one to wait for jobs), plus one per "
        f"running job that uses Redis{needs}. Raise maxclients (redis.conf), or run fewer workers."
    )


def _server_figures() -> tuple[int, int]:
    """(maxclients, registered workers), each 0 when it cannot be read (no connection, CONFIG disabled)."""
    figures = []
    for read in (_maxclients, _registered_workers):
        try:
            figures.append(read())
        except (redis.RedisError, OSError, ValueError):
            figures.append(0)
    return figures[0], figures[1]


def _maxclients() -> int:
    reply: Any = get_redis().config_get("maxclients")
    return int(reply.get("maxclients") or reply.get(b"maxclients") or 0)


def _registered_workers() -> int:
    return int(get_redis().scard(keys.workers()))
