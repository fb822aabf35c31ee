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

from .. import conf, hooks, reconnect, registry, retry, unique
from .. import payload as payload_codec
from ..decoding import loads
from ..exceptions import (
    JobTerminatedError,
    JobTimeoutError,
    MalformedPayloadError,
    UndecodableError,
    UnknownJobError,
)
from ..inflight import Reservation, finish, report_failure
from ..signals import job_finished, job_started, send

if TYPE_CHECKING:
    from ..job import Job
    from ..payload import Payload

logger = logging.getLogger(__name__)


def job_label(reservation: Reservation) -> str:
    """A short id for log lines: payloads carry no id, so hash the record."""
    return hashlib.blake2b(reservation.record, digest_size=4).hexdigest()


def work(
    reservation: Reservation,
    worker_id: str,
    give_up: Callable[[], bool] = lambda: False,
    limits: AbstractContextManager[Any] | None = None,
    finish_record: bool = True,
) -> bool:
    """Perform and report ``reservation`` (within ``limits``, e.g. a timer); True if it failed.

    With ``finish_record`` False the job's record is left for the worker's next reserve
    to finish (``inflight.Finished``): a job that fails is still recorded here.
    """
    label, started = job_label(reservation), time.monotonic()
    logger.info("Job %s %s from %s started", label, reservation.name or "<malformed>", reservation.queue)
    try:
        with limits or nullcontext():
            error, job = perform(reservation, worker_id)
    except (JobTimeoutError, JobTerminatedError) as exc:  # the timer fired outside the job itself
        error, job = exc, registry.find(reservation.name)
    outcome = "done"
    if error is None:
        reconnect.until_done(lambda: succeeded(job, reservation.failure_payload()), "unique release", give_up)
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
    return error is not None


def perform(reservation: Reservation, worker_id: str) -> tuple[BaseException | None, Job | None]:
    """Run the job with its hooks; the error it raised (or None) and the job found."""
    try:
        payload, job = resolve(reservation)
    except (MalformedPayloadError, UnknownJobError) as exc:
        return exc, None
    started = time.monotonic()
    send(job_started, job, queue=reservation.queue, payload=payload, worker_id=worker_id)
    try:
        if job.retry_policy is not None:
            retry.begin_attempt(job.name, payload.args)
        hooks.perform(job, payload)
    # SystemExit, KeyboardInterrupt raised by the job: the job failed, not the worker (whose
    # own signals only set flags, so no KeyboardInterrupt of the worker's comes from here).
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        hooks.run_failure_hooks(job, payload, exc)
        return exc, job
    duration = time.monotonic() - started
    send(job_finished, job, queue=reservation.queue, payload=payload, worker_id=worker_id, duration=duration)
    return None, job


def succeeded(job: Job | None, payload: dict[str, Any]) -> None:
    """After a success: release the unique lock, forget the retry count."""
    unique.release(job, payload)
    if job is not None and job.retry_policy is not None:
        retry.forget(job.name, payload)


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


def timeout_for(reservation: Reservation, default: float | None) -> float | None:
    """``@job(timeout=...)``, else the worker's ``--timeout``, else RESQUE['JOB_TIMEOUT']."""
    job = registry.find(reservation.name)
    if job is not None and job.timeout is not None:
        return job.timeout
    return default if default is not None else conf.get("JOB_TIMEOUT")
