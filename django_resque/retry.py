"""Retry policies: how often a failed job runs again, after which delay, on which errors.

@job(retry=3, backoff=Exponential(base=5), retry_on=(TimeoutError,))

``retry=N`` means up to N more runs after the first failure (N + 1 attempts in all).
A retry is a delayed job (resque-scheduler's delayed queue), or a plain push when its
delay is not in the future, with the same ``{"class","args"}`` payload.

The attempt count lives in Redis where resque-retry keeps it,
``resque-retry:<class>:<sha1 of the args joined by "-">`` (``attempts_key``), because
Ruby rebuilds payloads (resque-scheduler's move, resque-web's retry) and anything
carried in them beside class and args is lost. So a Ruby hop keeps the count, and a
class run by Python workers and by Ruby workers with resque-retry shares one count.
As there: ``-1`` before the first run, raised by one when a run starts (so it holds
the 0-based number of the run), deleted after a success or the final failure. Jobs
with equal class and args share it. It expires ``KEY_TTL`` after the last run or
retry, so one that no code deletes (a retry removed by hand) cannot linger.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import delayed, keys, scripts
from . import payload as payload_codec
from . import queue as queue_api
from .connection import get_redis, translate_errors
from .decoding import to_int
from .exceptions import ResqueConfigurationError

logger = logging.getLogger(__name__)

# Payloads of older versions carried the attempt number under this key: still read
# (the higher of it and Redis's count wins), never written.
ATTEMPT_KEY = "attempt"
KEY_TTL = 7 * 24 * 3600


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


def attempts_key(job_name: str, args: list[Any]) -> str:
    """resque-retry's ``redis_retry_key``: class and a digest of the args, whitespace removed."""
    joined = ruby_join(args)
    parts = ["resque-retry", job_name] + ([hashlib.sha1(joined.encode()).hexdigest()] if joined else [])
    return keys.retry_attempts(re.sub(r"\s", "", ":".join(parts)))


def begin_attempt(job_name: str, args: list[Any]) -> int:
    """Count a run starting (resque-retry's ``before_perform_retry``); its number, 1 for the first."""
    return int(scripts.run(scripts.BEGIN_ATTEMPT, [attempts_key(job_name, args)], [KEY_TTL])) + 1


def attempt_of(job_name: str, payload: dict[str, Any]) -> int:
    """Which run of the job ``payload`` is (1 for the first), from Redis and any old payload hint."""
    args = payload.get("args") if isinstance(payload, dict) else None
    if not isinstance(args, list):
        return 1
    with translate_errors():
        stored = get_redis().get(attempts_key(job_name, args))
    return max(_counted_attempt(stored), _hinted_attempt(payload))


def _counted_attempt(stored: Any) -> int:
    """The 1-based run from resque-retry's 0-based count (-1 before any run); 1 if unset or bad."""
    count = to_int(stored, None)
    return max(1, count + 1) if count is not None else 1


def forget(job_name: str, payload: dict[str, Any]) -> None:
    """Drop the attempt count: the job succeeded, or failed for the last time."""
    args = payload.get("args") if isinstance(payload, dict) else None
    if isinstance(args, list):
        with translate_errors():
            get_redis().delete(attempts_key(job_name, args))


def _hinted_attempt(payload: dict[str, Any]) -> int:
    value = payload.get(ATTEMPT_KEY, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def without_attempt(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without an old version's attempt hint: a fresh start (manual retries)."""
    return {key: value for key, value in payload.items() if key != ATTEMPT_KEY}


def schedule_retry(payload: dict[str, Any], queue: str, delay: float, attempt: int) -> int:
    """Run ``payload`` again in ``delay`` seconds (its count kept meanwhile); returns the epoch."""
    again = payload_codec.from_dict(without_attempt(payload))
    with translate_errors():
        get_redis().expire(attempts_key(again.name, again.args), int(delay) + KEY_TTL)
    epoch = int(time.time() + delay)
    if delay <= 0 or epoch <= time.time():
        queue_api.push(queue, again)
    else:
        delayed.schedule(epoch, queue, again)
    logger.info("Retrying %s (attempt %d) on queue %s at %d", again.name, attempt + 1, queue, epoch)
    return epoch


def ruby_join(args: list[Any]) -> str:
    """Ruby's ``args.join("-")``: nested arrays flattened, each value as Ruby's ``to_s``."""
    return "-".join(_ruby_to_s(value) for value in args)


def _ruby_to_s(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return ruby_join(value)
    return _ruby_inspect(value)  # numbers and booleans print the same; Hash#to_s is its inspect


def _ruby_inspect(value: Any) -> str:
    """Ruby 3.1-3.3's ``inspect`` of a JSON value (Hash#to_s is its inspect)."""
    if value is None:
        return "nil"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _ruby_float(value)
    if isinstance(value, str):
        return '"' + re.sub(r"#(?=[{$@])", r"\\#", value.translate(_RUBY_ESCAPES)) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_ruby_inspect(item) for item in value) + "]"
    return "{" + ", ".join(f"{_ruby_inspect(key)}=>{_ruby_inspect(item)}" for key, item in value.items()) + "}"


def _ruby_float(value: float) -> str:
    """Ruby's Float#to_s: ``1.0``, ``1.0e+20``, ``1.5e-05``."""
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent[0]}{exponent[1:].zfill(2)}"


_RUBY_ESCAPES = {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
    ord("\n"): "\\n",
    ord("\t"): "\\t",
    ord("\r"): "\\r",
    ord("\f"): "\\f",
    ord("\v"): "\\v",
    ord("\b"): "\\b",
    ord("\a"): "\\a",
    ord("\x1b"): "\\e",
}
