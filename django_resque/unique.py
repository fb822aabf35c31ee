"""Unique jobs: at most one queued-or-running copy of a job with the same identity.

@job(unique=True)                        # identity = job name + arguments
@job(unique=lambda user_id, **kw: user_id)   # identity = job name + what the function returns

The identity derives from the payload's ``class`` and ``args`` alone, so it survives
every Ruby hop (resque-scheduler's move, resque-web's retry): sha1 of the JSON
``[class, args]`` with ``unique=True`` (what a Ruby ``after_perform`` hook can compute
too, see docs/howto-ruby.md), or of ``[class, key]`` where the key function is called
with the job's arguments, by name where its parameters have names. Enqueueing takes the
lock ``keys.unique_lock(identity)`` and pushes in one Lua script; a second enqueue
while the lock is held is dropped: ``delay`` returns False and an INFO line is
logged. The worker releases the lock after success; ``failure.handle`` keeps it
while a retry is pending and releases it on the final failure. Nothing goes in the
payload: it stays ``{"class","args"}``, which Ruby's tools find and compare.

Crash safety: the lock carries a TTL (``RESQUE['UNIQUE_LOCK_TTL']``, or
``@job(unique_ttl=...)``). A dead worker's job is normally failed by pruning, which
goes through ``failure.handle`` and so releases it; the TTL is the backstop for what
no code of ours sees (a queue deleted by hand, a job run by a Ruby worker without the
hook), so a lock can never outlive its job by more than the TTL. Past the TTL a
duplicate may be enqueued, and the first copy's end then releases the second's lock:
we prefer a rare duplicate to a job that can never be enqueued again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from . import arguments, conf, delayed, keys, scripts
from .connection import get_redis, translate_errors
from .exceptions import MalformedPayloadError
from .payload import Payload, dumps, from_dict

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger(__name__)

# Payloads written before identities were derived from class + args carried their
# lock and token under this key; a job still queued from then releases by it.
LEGACY_KEY = "unique"
# A duplicate's handle says why it was not enqueued.
DUPLICATE = "a copy of this unique job is already queued or running"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def identity(job: Job, payload: Payload) -> str:
    """sha1 of the job name and its unique key (the payload's args, or the key function's value)."""
    if not callable(job.unique):
        return hashlib.sha1(dumps([job.name, payload.args]).encode()).hexdigest()
    args, kwargs = arguments.by_name(job.shape, *job.call_arguments(payload))
    return hashlib.sha1(dumps([job.name, job.unique(*args, **kwargs)]).encode()).hexdigest()


def ttl_ms(job: Job, extra_seconds: float = 0.0) -> int:
    seconds = job.unique_ttl if job.unique_ttl is not None else conf.get("UNIQUE_LOCK_TTL")
    return max(1, int((seconds + max(0.0, extra_seconds)) * 1000))


def push(job: Job, queue: str, payload: Payload) -> bool:
    """Lock and push in one script; False (and a log line) if a copy holds the lock."""
    lock = identity(job, payload)
    pushed = scripts.run(
        scripts.UNIQUE_PUSH,
        [keys.unique_lock(lock), keys.queues(), keys.queue(queue)],
        [queue, ttl_ms(job), queue, payload.encode(), keys.wake_channel()],
    )
    if not pushed:
        _log_dropped(job, queue, lock)
    return bool(pushed)


def schedule(job: Job, epoch: int, queue: str, payload: Payload) -> bool:
    """Lock for the wait plus the TTL, then add to the delayed queue; False if locked.

    Two steps, not one script: the delayed keys belong to ``delayed``. A
    crash between them leaves only a lock that expires; a failed schedule releases it.
    """
    lock = identity(job, payload)
    with translate_errors():
        locked = get_redis().set(keys.unique_lock(lock), queue, nx=True, px=ttl_ms(job, epoch - time.time()))
    if not locked:
        _log_dropped(job, queue, lock)
        return False
    try:
        delayed.schedule(epoch, queue, payload)
    except BaseException:
        release(job, payload.as_dict())
        raise
    return True


def extend(job: Job, payload: dict[str, Any], extra_seconds: float) -> None:
    """Keep the lock through a pending retry: TTL = wait + the job's TTL (taken again if gone)."""
    found = _lock_of(job, payload)
    if found is not None:
        with translate_errors():
            get_redis().set(keys.unique_lock(found), "retry", px=ttl_ms(job, extra_seconds))


def release(job: Job | None, payload: dict[str, Any]) -> None:
    """Let another copy of this job be enqueued."""
    marker = _legacy_marker(payload)
    if marker is not None:
        scripts.run(scripts.RELEASE_LOCK, [keys.unique_lock(marker[0])], [marker[1]])
    found = _lock_of(job, payload)
    if found is not None:
        with translate_errors():
            get_redis().delete(keys.unique_lock(found))


def is_locked(job: Job, *args: Any, **kwargs: Any) -> bool:
    """Whether a copy of ``job(*args, **kwargs)`` is queued or running now."""
    with translate_errors():
        return bool(get_redis().exists(keys.unique_lock(identity(job, job.payload(*args, **kwargs)))))


def _lock_of(job: Job | None, payload: dict[str, Any]) -> str | None:
    """The lock of a unique job's payload (a dict from Redis), or None."""
    if job is None or not job.unique:
        return None
    try:
        decoded = from_dict(payload)
        return identity(job, decoded)
    except (MalformedPayloadError, TypeError, ValueError) as exc:
        logger.warning("No unique lock for a %s payload whose key cannot be computed: %s", job.name, exc)
        return None


def _legacy_marker(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(lock digest, token) from a payload written by an older version, or None."""
    marker = payload.get(LEGACY_KEY) if isinstance(payload, dict) else None
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
