"""The in-flight record ``worker:<id>``: the one owner of "this job is over".

Ruby's "what this worker is doing" record. Every change to it is here, in one Lua
script each, and only if the record is still the one expected (a pruner may have
taken it meanwhile), so a kill -9 at any moment leaves the job in Redis, never lost::

    queue:<q> ──reserve()──▶ worker:<id> ──(fork mode) pipe──▶ job process: parse_record()
                              │   (Reservation: parsed once)      │ performs; a failure is
                              │                                   │ recorded by report_failure()
                              │                                   ▼
                              │                       Finished (done, record left to the worker,
                              │                                 with the result to keep, if any)
                              │                                   │
                              ├──finish()◀──── next reserve() ────┘ (same script: one round trip)
                              │               or finish() when pausing / stopping; the job process
                              │               itself if the worker never says "finished"
                              │
                              ├──recover(counted=True)── the job process died (crash, kill,
                              │                          timeout): report_failure(), finish()
                              ├──recover(allow_requeue)─ its worker died (pruning.py):
                              │                          requeue (DIRTY_EXIT) or report_failure(),
                              │                          discard()
                              └──recover()───────────── the worker unregisters holding it
    finish(): DEL + stat:processed (+ stat:failed), per worker and global
    discard(): DEL only (a dead worker's job: as Ruby, no counter moves)

``--jobs-per-fork N``: the job process reserves its next jobs itself, into the same
record, and finishes each before the next (``worker/child.py``).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import conf, failure, history, keys, reconnect, registry, scripts, status, unique
from .connection import get_redis, translate_errors
from .decoding import RECORD_DEPTH, loads, loads_object, to_text
from .exceptions import MalformedPayloadError, UndecodableError
from .failure.record import digest
from .payload import decode, dumps, object_or_raw
from .signals import job_failed, send

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger(__name__)

RUN_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Paused:
    """Returned by ``reserve`` while ``pause-all-workers`` is set."""


PAUSED = Paused()


@dataclass(frozen=True)
class Reservation:
    """A reserved job: its queue, the exact record bytes in Redis and its payload."""

    queue: str
    record: bytes
    payload: Any  # what the record holds: a dict for a well-formed job, else anything
    problem: str = ""  # why the record could not be decoded (then ``payload`` is its text)

    @property
    def name(self) -> str:
        """The job's ``class``, or "" when the payload is not a job."""
        name = self.payload.get("class") if isinstance(self.payload, dict) else None
        return name if isinstance(name, str) else ""

    def failure_payload(self) -> dict[str, Any]:
        """The payload for a failure record; bad data is kept under ``raw``."""
        return object_or_raw(self.payload)


@dataclass(frozen=True)
class Finished:
    """A job done in this worker whose record is still to be deleted and counted.

    ``result``: the return value to keep, written by the same script call (never for a failed job).
    """

    record: bytes
    failed: bool
    result: status.Result | None = None


def reserve(worker_id: str, queues: list[str], finished: Finished | None = None) -> Reservation | Paused | None:
    """The next job (recorded in ``worker:<id>``), PAUSED, or None when all are empty.

    ``finished`` is deleted and counted first, in the same script, as ``finish``. A job
    cancelled while queued is dropped on the way (``drop_cancelled``). When none is
    found, the history's counts this process holds are written (``history.flush``).
    """
    if finished is not None:
        history.count(_queue_of(finished.record), finished.failed)
    while True:
        failed = finished.failed if finished is not None else None
        with translate_errors():
            reply = scripts.run(
                scripts.RESERVE,
                _reserve_keys(worker_id, failed),
                [
                    _queue_prefix(),
                    *_run_at_texts(int(time.time())),
                    finished.record if finished is not None else "",
                    *history.script_args(),
                    *job_record_args(worker_id, finished.result if finished is not None else None),
                    *queues,
                ],
            )
        if reply is None or isinstance(reply, int):
            history.flush()
            return None if reply is None else PAUSED
        if len(reply) < 3:
            return parse_record(reply[1])
        drop_cancelled(to_text(reply[0]), reply[1])
        finished = None


@conf.per_settings
def _reserve_keys(worker_id: str, failed: bool | None) -> tuple[str, ...]:
    """RESERVE's keys: the record, the queue set, the pause flag, then the counters of a finished job (if any)."""
    counters = counters_for(worker_id, failed) if failed is not None else []
    return (keys.worker(worker_id), keys.queues(), keys.pause_all(), *counters)


_queue_prefix = conf.per_settings(keys.queue_prefix)


@functools.lru_cache(maxsize=1)
def _run_at_texts(second: int) -> tuple[str, str]:
    """RESERVE's two ``run_at`` times (this second and the next): the same for every job of a second."""
    return time.strftime(RUN_AT_FORMAT, time.gmtime(second)), time.strftime(RUN_AT_FORMAT, time.gmtime(second + 1))


def job_record_args(worker_id: str, result: status.Result | None = None) -> list[str | int]:
    """The seven job record arguments of RESERVE and FINISH_JOB (scripts._JOB_RECORD)."""
    prefix, ttl = _job_record_settings()
    return [prefix, status.now_text(), worker_id, ttl, *status.result_args(result)]


@conf.per_settings
def _job_record_settings() -> tuple[str, int]:
    return keys.job_record_prefix(), status.ttl()


def drop_cancelled(queue: str, raw: bytes) -> None:
    """A job cancelled while queued, taken off its queue by RESERVE: let go of its unique lock."""
    try:
        payload = decode(raw)
    except MalformedPayloadError as exc:  # no job to let go of
        logger.warning("A cancelled job from %s was dropped, never performed: %s", queue, exc)
        return
    unique.release(registry.find(payload.name), payload.as_dict())
    logger.info("Job %s %s from %s was cancelled: dropped, never performed", payload.id, payload.name, queue)


def parse_record(record: bytes | str) -> Reservation:
    """Decode a ``worker:<id>`` record; one that cannot be decoded becomes a raw payload (text)."""
    if isinstance(record, str):
        record = record.encode("utf-8", "surrogateescape")
    try:
        data = loads_object(record, max_depth=RECORD_DEPTH)
    except UndecodableError as exc:
        return Reservation(queue=_queue_of(record), record=record, payload=to_text(record), problem=exc.reason)
    queue = data.get("queue")
    return Reservation(queue=queue if isinstance(queue, str) else "", record=record, payload=data.get("payload"))


# The head of a record as the reserve script writes it: {"queue":<JSON string>,...
_RECORD_HEAD = re.compile(rb'\{"queue":("(?:[^"\\]|\\.){0,1000}")')


def _queue_of(record: bytes | str) -> str:
    """The queue a record names in its head, as the reserve script writes it; else "".

    Read without decoding the rest: for a record whose payload cannot be decoded, and
    for every finished job's history count (``history.count``).
    """
    if isinstance(record, str):
        record = record.encode("utf-8", "surrogateescape")
    head = _RECORD_HEAD.match(record)
    if head and b"\\" not in head[1]:
        return head[1][1:-1].decode("utf-8", "replace")
    try:
        queue = loads(head[1]) if head else ""
    except UndecodableError:
        return ""
    return queue if isinstance(queue, str) else ""


def current(worker_id: str) -> Reservation | None:
    """The job recorded in ``worker:<id>``, if any."""
    with translate_errors():
        record = get_redis().get(keys.worker(worker_id))
    return parse_record(record) if record is not None else None


def finish(
    worker_id: str, record: bytes, failed: bool, count_for: str | None = None, result: status.Result | None = None
) -> bool:
    """The job recorded as ``record`` is over: DEL it and count it, if still ours.

    ``count_for`` is the worker whose per-worker counters move (default: ``worker_id``);
    ``result``, a succeeded job's return value, is kept in the same call (only if still ours).
    """
    kept = None if failed else result
    history.count(_queue_of(record), failed)
    with translate_errors():
        return bool(
            scripts.run(
                scripts.FINISH_JOB,
                _finish_keys(worker_id, count_for or worker_id, failed),
                [record, *history.script_args(), *job_record_args(worker_id, kept)],
            )
        )


@conf.per_settings
def _finish_keys(worker_id: str, count_for: str, failed: bool) -> tuple[str, ...]:
    """FINISH_JOB's keys: the record, then the counters the job moves (``count_for``'s and the global ones)."""
    return (keys.worker(worker_id), *counters_for(count_for, failed))


def discard(worker_id: str, record: bytes) -> bool:
    """DEL the job record ``record`` if still ours, counting nothing (a dead worker's job)."""
    with translate_errors():
        return bool(scripts.run(scripts.FINISH_JOB, [keys.worker(worker_id)], [record]))


def counters_for(worker_id: str, failed: bool) -> list[str]:
    """The stat keys a finished job increments: global and ``worker_id``'s."""
    names = ("processed", "failed") if failed else ("processed",)
    return [keys.stat(name) for name in names] + [keys.stat(name, worker_id) for name in names]


def recover(
    worker_id: str, error: Exception, *, allow_requeue: bool = False, counted: bool = False
) -> Reservation | None:
    """Handle the job left in ``worker:<id>``, if any; returns it.

    With ``allow_requeue`` and RESQUE['DIRTY_EXIT'] == "requeue", a well-formed payload
    goes back to the head of its queue; otherwise it becomes a failure record. Failing
    runs no job code: only ``failure.handle`` and the ``job_failed`` signal. Only a
    ``counted`` job (its worker saw its process die) moves ``stat:processed`` and
    ``stat:failed``; a pruned or unregistered worker's does not, as in Ruby's
    ``unregister_worker`` (the failed list still counts it).
    """
    left = current(worker_id)
    if left is None:
        return None
    if allow_requeue and conf.get("DIRTY_EXIT") == "requeue" and _requeue(worker_id, left):
        logger.warning("Requeued %s on %s, left by worker %s", left.name, left.queue, worker_id)
        return left
    report_failure(error, left, worker_id, registry.find(left.name))
    if counted:
        finish(worker_id, left.record, failed=True)
    else:
        discard(worker_id, left.record)
    logger.warning("Failed %s from %s, left by worker %s: %s", left.name or "<malformed>", left.queue, worker_id, error)
    return left


def _requeue(worker_id: str, left: Reservation) -> bool:
    if not left.name or not left.queue:
        return False  # malformed: a failure record keeps the raw data instead
    with translate_errors():
        moved = scripts.run(
            scripts.REQUEUE_DEAD_JOB,
            [keys.worker(worker_id), keys.queue(left.queue), keys.queues()],
            [left.record, dumps(left.payload), left.queue, keys.wake_channel()],
        )
    return bool(moved)


def report_failure(
    error: BaseException,
    reservation: Reservation,
    worker_id: str,
    job: Job | None,
    give_up: Callable[[], bool] = lambda: False,
) -> str | None:
    """Hand the failure to ``failure.handle`` (retrying while Redis is away), then signal it.

    Returns the short digest ``resque_failed list`` shows for the record, or None when
    nothing was recorded (the job will run again, or Redis stayed away).
    """
    payload = reservation.failure_payload()

    def handle() -> failure.FailureRecord | None:
        return failure.handle(error, payload=payload, queue=reservation.queue, worker_id=worker_id, job=job)

    record = reconnect.until_done(handle, "recording a failure", give_up)
    send(job_failed, job, queue=reservation.queue, payload=payload, worker_id=worker_id, exception=error)
    return digest(record.encode())[:12] if record is not None else None
