"""Unique jobs: at most one queued-or-running copy of a job with the same identity.

@job(unique=True)                        # identity = job name + arguments
@job(unique=lambda user_id, **kw: user_id)   # identity = job name + what the function returns

Enqueueing takes a lock ``keys.unique_lock(sha1(name, key))`` holding a random token
and pushes the job in the same Lua script; the token travels in the payload under
``"unique"`` (Ruby ignores it). A second enqueue while the lock is held is dropped:
``delay`` returns False and an INFO line is logged. The worker calls ``release``
after success; ``failure.handle`` keeps the lock while a retry is pending and
releases it on the final failure. Only the token's owner can release or extend.

Crash safety: the lock carries a TTL (``RESQUE['UNIQUE_LOCK_TTL']``, or
``@job(unique_ttl=...)``). A dead worker's job is normally failed by pruning, which
goes through ``failure.handle`` and so releases it; the TTL is the backstop for what
no code sees (a queue deleted by hand, a lost Redis write), so a lock can never
outlive its job by more than the TTL. Past the TTL a duplicate may be enqueued: we
prefer a rare duplicate to a job that can never be enqueued again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from . import conf, keys, scripts
from .connection import get_redis, translate_errors
from .payload import Payload, dumps
from .scheduler import delayed

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger(__name__)

UNIQUE_KEY = "unique"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def identity(job: Job, args: list[Any], kwargs: dict[str, Any]) -> str:
    """sha1 of the job name and its unique key (the arguments, or the key function's value)."""
    key = job.unique(*args, **kwargs) if callable(job.unique) else [args, kwargs]
    return hashlib.sha1(dumps([job.name, key]).encode()).hexdigest()


def ttl_ms(job: Job, extra_seconds: float = 0.0) -> int:
    seconds = job.unique_ttl if job.unique_ttl is not None else conf.get("UNIQUE_LOCK_TTL")
    return max(1, int((seconds + max(0.0, extra_seconds)) * 1000))


def mark(job: Job, payload: Payload) -> tuple[Payload, str, str]:
    """The payload carrying a fresh lock token for its identity, the lock digest and token."""
    args, kwargs = payload.call_arguments()
    lock, token = identity(job, args, kwargs), secrets.token_hex(16)
    return (
        Payload(payload.name, payload.args, {**payload.extra, UNIQUE_KEY: {"lock": lock, "token": token}}),
        lock,
        token,
    )


def push(job: Job, queue: str, payload: Payload) -> bool:
    """Lock and push in one script; False (and a log line) if a copy holds the lock."""
    marked, lock, token = mark(job, payload)
    pushed = scripts.run(
        scripts.UNIQUE_PUSH,
        [keys.unique_lock(lock), keys.queues(), keys.queue(queue)],
        [token, ttl_ms(job), queue, marked.encode()],
    )
    if not pushed:
        _log_dropped(job, queue, lock)
    return bool(pushed)


def schedule(job: Job, epoch: int, queue: str, payload: Payload) -> bool:
    """Lock for the wait plus the TTL, then add to the delayed queue; False if locked.

    Two steps, not one script: the delayed keys belong to ``scheduler.delayed``. A
    crash between them leaves only a lock that expires; a failed schedule releases it.
    """
    marked, lock, token = mark(job, payload)
    with translate_errors():
        locked = get_redis().set(keys.unique_lock(lock), token, nx=True, px=ttl_ms(job, epoch - time.time()))
    if not locked:
        _log_dropped(job, queue, lock)
        return False
    try:
        delayed.schedule(epoch, queue, marked)
    except BaseException:
        release(marked.as_dict())
        raise
    return True


def extend(job: Job, payload: dict[str, Any], extra_seconds: float) -> None:
    """Keep the lock through a pending retry: TTL = wait + the job's TTL."""
    marker = _marker(payload)
    if marker is not None:
        lock, token = marker
        scripts.run(scripts.UNIQUE_EXTEND, [keys.unique_lock(lock)], [token, ttl_ms(job, extra_seconds)])


def release(payload: dict[str, Any]) -> None:
    """Let another copy of this job be enqueued (only if the lock is still this copy's)."""
    marker = _marker(payload)
    if marker is not None:
        lock, token = marker
        scripts.run(scripts.RELEASE_LOCK, [keys.unique_lock(lock)], [token])


def is_locked(job: Job, *args: Any, **kwargs: Any) -> bool:
    """Whether a copy of ``job(*args, **kwargs)`` is queued or running now."""
    with translate_errors():
        return bool(get_redis().exists(keys.unique_lock(identity(job, list(args), kwargs))))


def _marker(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(lock digest, token) from a payload, or None; anything malformed is ignored."""
    marker = payload.get(UNIQUE_KEY) if isinstance(payload, dict) else None
    if not isinstance(marker, dict):
        return None
    lock, token = marker.get("lock"), marker.get("token")
    if not (isinstance(lock, str) and _HEX40.match(lock) and isinstance(token, str) and _TOKEN.match(token)):
        logger.warning("Ignoring a malformed unique marker %r in a %s payload", marker, payload.get("class"))
        return None
    return lock, token


def _log_dropped(job: Job, queue: str, lock: str) -> None:
    logger.info(
        "Dropped enqueue of unique job %s on queue %s: a copy is already queued or running (lock %s)",
        job.name,
        queue,
        lock,
    )
