"""Retry Redis bookkeeping with capped exponential backoff while the server is away."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

from . import capacity
from .exceptions import ResqueConnectionError

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONNECTION_ERRORS = (ResqueConnectionError, redis.ConnectionError, redis.TimeoutError)
FIRST_DELAY, MAX_DELAY = 0.1, 5.0
# Error replies that say "not now" rather than "never": a script running past its time
# limit (BUSY), a server loading its data, a replica promoted or a cluster resharding.
TRANSIENT_REPLIES = ("BUSY ", "LOADING ", "MASTERDOWN ", "READONLY ", "TRYAGAIN ", "CLUSTERDOWN ", "OOM ")


_TRANSIENT_CLASSES = (
    *CONNECTION_ERRORS,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.MasterDownError,
    redis.exceptions.OutOfMemoryError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is Redis being away or busy for now: retry it later, like a lost connection."""
    if isinstance(exc, _TRANSIENT_CLASSES):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).startswith(TRANSIENT_REPLIES)


class Backoff:
    """Delays 0.1, 0.2, 0.4 ... capped at 5 s; ``reset()`` after a success."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.first, self.cap, self.delay = first, cap, first
        self.failures = 0  # since the last success

    def next_delay(self) -> float:
        self.failures += 1
        delay, self.delay = self.delay, min(self.delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.delay, self.failures = self.first, 0


def log_back(backoff: Backoff, what: str) -> None:
    """After a success: say Redis is back if it had been away (one line, not one per job)."""
    if backoff.failures:
        logger.warning("Redis reachable again after %d failed tries; %s", backoff.failures, what)
    backoff.reset()


def until_done(action: Callable[[], T], what: str, give_up: Callable[[], bool] = lambda: False) -> T | None:
    """Call ``action`` until Redis answers; None if ``give_up()`` says stop first.

    Used after a job ran: its record stays in Redis meanwhile, so giving up loses
    nothing (pruning recovers it).
    """
    backoff = Backoff()
    while True:
        try:
            done = action()
        except (redis.RedisError, ResqueConnectionError) as exc:
            if not is_transient(exc):
                raise
            if give_up():
                logger.error("Redis unreachable, giving up on %s: %s", what, exc)
                return None
            delay = backoff.next_delay()
            if not capacity.refused(exc, "Retrying %s." % what):
                logger.warning("Redis unreachable during %s (%s); retrying in %.1fs", what, exc, delay)
            time.sleep(delay)
            continue
        log_back(backoff, f"{what} done")
        return done
