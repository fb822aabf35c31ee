"""Retry policies: how often a failed job runs again, after which delay, on which errors.

@job(retry=3, backoff=Exponential(base=5), retry_on=(TimeoutError,))

``retry=N`` means up to N more runs after the first failure (N + 1 attempts in all).
The attempt number travels in the payload under ``"attempt"`` (absent = 1), a key
Ruby ignores; a retry is a delayed job (resque-scheduler's delayed queue), or a
plain push when its delay is not in the future.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import payload as payload_codec
from . import queue as queue_api
from .exceptions import ResqueConfigurationError
from .scheduler import delayed

logger = logging.getLogger(__name__)

ATTEMPT_KEY = "attempt"


@dataclass(frozen=True)
class Fixed:
    """The same delay before every retry."""

    seconds: float = 0.0

    def __call__(self, attempt: int) -> float:
        return self.seconds


@dataclass(frozen=True)
class Exponential:
    """``base * factor ** (attempt - 1)`` seconds, at most ``maximum``."""

    base: float = 1.0
    factor: float = 2.0
    maximum: float = 3600.0

    def __call__(self, attempt: int) -> float:
        return float(min(self.maximum, self.base * self.factor ** max(0, attempt - 1)))


@dataclass(frozen=True)
class Jittered(Exponential):
    """Exponential, drawn at random from its upper half ("equal jitter"), so a burst of
    failures does not come back all at once."""

    def __call__(self, attempt: int) -> float:
        ceiling = super().__call__(attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Steps:
    """Explicit delays per retry (resque-retry's ``backoff_strategy``); the last repeats."""

    delays: tuple[float, ...]

    def __call__(self, attempt: int) -> float:
        return float(self.delays[min(attempt, len(self.delays)) - 1])


Backoff = Callable[[int], float]


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` more runs, ``backoff(attempt)`` seconds apart, only for ``retry_on``."""

    retries: int
    backoff: Backoff
    retry_on: tuple[type[BaseException], ...] = (Exception,)

    def allows(self, exc: BaseException, attempt: int) -> bool:
        """Whether a failure of run number ``attempt`` (1-based) gets another run."""
        return attempt <= self.retries and isinstance(exc, self.retry_on)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the failure of run number ``attempt``."""
        return max(0.0, float(self.backoff(attempt)))


def make_policy(retries: Any, backoff: Any, retry_on: Any, where: str) -> RetryPolicy | None:
    """The policy declared by ``@job`` options (None for no retries); bad values raise."""
    if retries is None or retries is False or retries == 0:
        if backoff is not None or retry_on is not None:
            raise ResqueConfigurationError(f"{where}: backoff and retry_on need retry=N (N > 0).")
        return None
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ResqueConfigurationError(f"{where}: retry must be a non-negative int, got {retries!r}.")
    return RetryPolicy(retries, _backoff(backoff, where), _retry_on(retry_on, where))


def _backoff(value: Any, where: str) -> Backoff:
    if value is None:
        return Exponential()
    if isinstance(value, bool):
        raise ResqueConfigurationError(f"{where}: backoff must be seconds, a list of seconds or a callable.")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ResqueConfigurationError(f"{where}: backoff must not be negative, got {value!r}.")
        return Fixed(float(value))
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value or not all(isinstance(item, (int, float)) and item >= 0 for item in value):
            raise ResqueConfigurationError(f"{where}: backoff list must hold non-negative seconds, got {value!r}.")
        return Steps(tuple(float(item) for item in value))
    if callable(value):
        return value
    raise ResqueConfigurationError(f"{where}: backoff must be seconds, a list of seconds or a callable, got {value!r}.")


def _retry_on(value: Any, where: str) -> tuple[type[BaseException], ...]:
    if value is None:
        return (Exception,)
    classes = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not classes or not all(isinstance(cls, type) and issubclass(cls, BaseException) for cls in classes):
        raise ResqueConfigurationError(f"{where}: retry_on must be exception classes, got {value!r}.")
    return classes


def attempt_of(payload: dict[str, Any]) -> int:
    """Which run of the job ``payload`` is (1 for the first)."""
    value = payload.get(ATTEMPT_KEY, 1) if isinstance(payload, dict) else 1
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def without_attempt(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the attempt count dropped: a fresh start (manual retries)."""
    return {key: value for key, value in payload.items() if key != ATTEMPT_KEY}


def schedule_retry(payload: dict[str, Any], queue: str, delay: float) -> int:
    """Run ``payload`` again in ``delay`` seconds with its attempt count raised; returns the epoch."""
    again = payload_codec.from_dict({**payload, ATTEMPT_KEY: attempt_of(payload) + 1})
    epoch = int(time.time() + delay)
    if delay <= 0 or epoch <= time.time():
        queue_api.push(queue, again)
    else:
        delayed.schedule(epoch, queue, again)
    logger.info("Retrying %s (attempt %d) on queue %s at %d", again.name, attempt_of(again.as_dict()), queue, epoch)
    return epoch
