"""Work one reserved job in this process: perform, report, and finish its record.

Used by the forked child and by ``--no-fork``. Only a job registered with ``@job`` can
run: the payload's ``class`` goes through ``registry.lookup`` and nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from .. import handle, hooks, reconnect, registry, retry, status, unique
from .. import payload as payload_codec
from ..decoding import loads
from ..exceptions import (
    JobTerminatedError,
    JobTimeoutError,
    MalformedPayloadError,
    UndecodableError,
    UnknownJobError,
)
from ..inflight import Finished, Reservation, finish, report_failure
from ..payload import ID_KEY, dumps
from ..signals import job_finished, job_started, send
from ..status import Result

if TYPE_CHECKING:
    from ..job import Job
    from ..payload import Payload

logger = logging.getLogger(__name__)


def job_label(reservation: Reservation) -> str:
    """The job's id for log lines; a payload without one (Ruby's) is named by a hash of its record."""
    job_id = job_id_of(reservation)
    return job_id or hashlib.blake2b(reservation.record, digest_size=4).hexdigest()


def job_id_of(reservation: Reservation) -> str | None:
    """The id the reserved payload carries, if it is a usable one."""
    payload = reservation.payload
    job_id = payload.get(ID_KEY) if isinstance(payload, dict) else None
    return job_id if handle.is_valid_id(job_id) else None


def work(
    reservation: Reservation,
    worker_id: str,
    give_up: Callable[[], bool] = lambda: False,
    limits: AbstractContextManager[Any] | None = None,
    finish_record: bool = True,
) -> bool:
    """Perform and report ``reservation`` (within ``limits``, e.g. a timer); True if it failed.

    With ``finish_record`` False the job's record is left for the worker's next reserve
    to finish (``inflight.Finished``): a job that fails is still recorded here, and a
    result kept here too (``work_and_hand_back`` hands it over instead).
    """
    return _work(reservation, worker_id, give_up, limits, finish_record, hand_up_to=0).failed


def work_and_hand_back(
    reservation: Reservation,
    worker_id: str,
    give_up: Callable[[], bool] = lambda: False,
    limits: AbstractContextManager[Any] | None = None,
    hand_up_to: int | None = None,
) -> Finished:
    """Perform and report ``reservation``, leaving its record to the caller's worker: what it passes to
    the call that finishes it, with the result to keep if its JSON takes at most ``hand_up_to``
    bytes (None: any size); a larger one is stored here, as ``work`` does.

    So that call stores the result too: no round trip of its own, and in a job process
    forked for one job no Redis connection at all.
    """
    return _work(reservation, worker_id, give_up, limits, False, hand_up_to)


def _work(
    reservation: Reservation,
    worker_id: str,
    give_up: Callable[[], bool],
    limits: AbstractContextManager[Any] | None,
    finish_record: bool,
    hand_up_to: int | None,
) -> Finished:
    # Worked out only for the log lines: a worker at -v 0 shows neither.
    label = job_label(reservation) if logger.isEnabledFor(logging.INFO) else ""
    started = time.monotonic()
    logger.info("Job %s %s from %s started", label, reservation.name or "<malformed>", reservation.queue)
    try:
        with limits or nullcontext():
            error, job, value = perform(reservation, worker_id)
    except (JobTimeoutError, JobTerminatedError) as exc:  # the timer fired outside the job itself
        error, job, value = exc, registry.find(reservation.name), hooks.SKIPPED
    outcome, result = "done", None
    if error is None:
        done_payload = reservation.failure_payload()
        result = reconnect.until_done(
            lambda: succeeded(job, done_payload, value, hand_up_to), "unique release", give_up
        )
    else:
        recorded_as = report_failure(error, reservation, worker_id, job, give_up)
        # The failure's digest as resque_failed and the admin show it, to match this line with the record.
        outcome = "failed (%s: %s)%s" % (type(error).__name__, error, f", failure {recorded_as}" if recorded_as else "")
    done: object = True
    if finish_record:
        done = reconnect.until_done(
            lambda: finish(worker_id, reservation.record, failed=error is not None), "finishing the job", give_up
        )
    logger.info(
        "Job %s %s from %s %s in %.3fs%s",
        label,
        reservation.name or "<malformed>",
        reservation.queue,
        outcome,
        time.monotonic() - started,
        "" if done is not None else " (its record stays in Redis)",
    )
    return Finished(reservation.record, error is not None, result)


def perform(reservation: Reservation, worker_id: str) -> tuple[BaseException | None, Job | None, Any]:
    """Run the job with its hooks: the error it raised (or None), the job found, and what
    perform returned (``hooks.SKIPPED`` when it was not performed)."""
    try:
        payload, job = resolve(reservation)
    except (MalformedPayloadError, UnknownJobError) as exc:
        return exc, None, hooks.SKIPPED
    started = time.monotonic()
    send(job_started, job, queue=reservation.queue, payload=payload, worker_id=worker_id)
    try:
        if job.retry_policy is not None:
            retry.begin_attempt(job.name, payload.args)
        value = hooks.perform(job, payload)
    # SystemExit, KeyboardInterrupt raised by the job: the job failed, not the worker (whose
    # own signals only set flags, so no KeyboardInterrupt of the worker's comes from here).
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        hooks.run_failure_hooks(job, payload, exc)
        return exc, job, hooks.SKIPPED
    duration = time.monotonic() - started
    send(job_finished, job, queue=reservation.queue, payload=payload, worker_id=worker_id, duration=duration)
    return None, job, value


def succeeded(
    job: Job | None, payload: dict[str, Any], value: Any = hooks.SKIPPED, hand_up_to: int | None = 0
) -> Result | None:
    """After a success: release the unique lock, forget the retry count, keep the result.

    The result is returned instead of stored when its JSON fits in ``hand_up_to`` bytes
    (None: any size), for the call that finishes the job's record (``keep_result``).
    """
    unique.release(job, payload)
    if job is not None and job.retry_policy is not None:
        retry.forget(job.name, payload)
    job_id = payload.get(ID_KEY)
    if value is not hooks.SKIPPED and handle.is_valid_id(job_id):
        return keep_result(job, str(job_id), value, hand_up_to)
    return None


def keep_result(job: Job | None, job_id: str, value: Any, hand_up_to: int | None = 0) -> Result | None:
    """Store the return value as JSON, if the job's results are kept (``status.result_ttl``);
    or return it, to be stored with the job's record, when it takes at most ``hand_up_to`` bytes."""
    seconds = status.result_ttl(job)
    if not seconds:
        return None
    try:
        encoded = dumps(value)
    except (TypeError, ValueError) as exc:
        logger.warning("Job %s returned a value that is not JSON; no result kept: %s", job_id, exc)
        return None
    if _fits(encoded, hand_up_to):
        return Result(job_id, encoded, seconds)
    status.mark_result(job_id, encoded, seconds)
    return None


def _fits(encoded: str, limit: int | None) -> bool:
    """Whether a result can be handed over: UTF-8 text of at most ``limit`` bytes (None: any)
    on one line (compact JSON has no raw newline; the check keeps the pipe's messages lines)."""
    if limit is not None and (len(encoded) > limit or "\n" in encoded):  # a byte per character at least
        return False
    if encoded.isascii():
        return True
    try:
        size = len(encoded.encode())
    except UnicodeEncodeError:  # a lone surrogate: stored here, as before (where it fails)
        return False
    return limit is None or size <= limit


def resolve(reservation: Reservation) -> tuple[Payload, Job]:
    """The payload and its registered job, or MalformedPayloadError / UnknownJobError."""
    data = reservation.payload
    if reservation.problem:  # the record itself could not be decoded
        raise MalformedPayloadError(reservation.problem, data)
    if isinstance(data, str):  # the reserve script kept a payload that is not JSON as a string
        try:
            loads(data)
        except UndecodableError as exc:
            raise MalformedPayloadError(exc.reason, data) from exc
        raise MalformedPayloadError("not a JSON object", data)
    payload = payload_codec.from_dict(data)
    return payload, registry.lookup(payload.name)
