"""Job records: what is known of a job, by the id its payload carries, one Redis hash each.

A queued job has no record: its payload is the record, so ``delay()`` costs no extra
round trip. A record is written when the job is scheduled, taken by a worker (inside
the worker's reserve script), cancelled, or over, and lives ``RESQUE['STATUS_TTL']``
seconds after its last change; a return value is kept only when asked
(``@job(result_ttl=...)`` or ``RESQUE['RESULT_TTL']``). Django Tasks results live in the
same hashes (``tasks/results.py``). Reading them back is ``handle.py``'s.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from . import conf, keys, scripts
from .connection import get_redis, translate_errors

if TYPE_CHECKING:
    from redis.client import Pipeline

    from .job import Job

QUEUED = "queued"
SCHEDULED = "scheduled"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
RETRY_SCHEDULED = "retry scheduled"
CANCELLED = "cancelled"
UNKNOWN = "unknown"
NOT_ENQUEUED = "not enqueued"  # a handle's status only: nothing was pushed, nothing is stored
STATUSES = (QUEUED, SCHEDULED, RUNNING, FINISHED, FAILED, RETRY_SCHEDULED, CANCELLED, UNKNOWN)
OVER = frozenset((FINISHED, FAILED, CANCELLED))


def now_text() -> str:
    """The time as records store it (ISO 8601, UTC, with its offset), whatever USE_TZ says:
    ``datetime.now(UTC).isoformat()``'s text.

    Read for every job a worker takes, so made from ``time.time()`` and the text of its
    second, worked out once a second (without Django's settings lookup in ``timezone.now``).
    """
    now = time.time()
    second = int(now)
    micro = int((now - second) * 1_000_000)
    stamp = _second_text(second)
    return f"{stamp}.{micro:06d}+00:00" if micro else f"{stamp}+00:00"


@functools.lru_cache(maxsize=1)
def _second_text(second: int) -> str:
    return dt.datetime.fromtimestamp(second, dt.UTC).replace(tzinfo=None).isoformat()


def ttl() -> int:
    return int(conf.get("STATUS_TTL"))


def result_ttl(job: Job | None) -> int | None:
    """Seconds to keep ``job``'s return value: ``@job(result_ttl=...)``, else RESQUE['RESULT_TTL']."""
    if job is not None and job.result_ttl is not None:
        return job.result_ttl
    return conf.get("RESULT_TTL")


def add_scheduled(pipe: Pipeline, job_id: str, name: str, queue: str, epoch: int) -> None:
    """Queue the writes of a scheduled job's record on ``pipe`` (the schedule's MULTI)."""
    record = keys.job_record(job_id)
    fields = {"status": SCHEDULED, "job": name, "queue_name": queue, "enqueued_at": now_text(), "run_after": epoch}
    pipe.hset(record, mapping=fields)  # type: ignore[arg-type]  # str and int values
    pipe.expire(record, ttl() + max(0, epoch - int(timezone.now().timestamp())))


@dataclass(frozen=True)
class Result:
    """A job's return value (JSON), kept ``seconds``: what ``mark_result`` writes.

    Handed to whoever finishes the job's record, so that script call writes it too
    (``result_args``): a fork-per-job job process then needs no connection of its own.
    """

    job_id: str
    encoded: str
    seconds: int


def result_args(result: Result | None) -> list[str | int]:
    """The three result arguments of RESERVE and FINISH_JOB (``scripts._JOB_RECORD``): id ('' for none), value, TTL."""
    if result is None:
        return ["", "", 0]
    return [result.job_id, result.encoded, result.seconds]


def mark_result(job_id: str, encoded_value: str, seconds: int) -> None:
    """The job returned ``encoded_value`` (JSON): finished, kept ``seconds``."""
    _write(job_id, {"status": FINISHED, "finished_at": now_text(), "return_value": encoded_value}, seconds)


def mark_failed(job_id: str, exception: str, error: str, failure: str) -> None:
    """The job failed for good; ``failure`` is the digest of its failure record."""
    fields = {"status": FAILED, "finished_at": now_text(), "exception": exception, "error": error}
    _write(job_id, {**fields, "failure": failure}, ttl())


def mark_retry(job_id: str, exception: str, error: str, at: float) -> None:
    """The job failed and runs again at ``at`` (epoch seconds)."""
    fields = {"status": RETRY_SCHEDULED, "exception": exception, "error": error, "run_after": str(int(at))}
    _write(job_id, fields, ttl() + max(0, int(at - timezone.now().timestamp())))


def _write(job_id: str, fields: dict[str, str], seconds: int) -> None:
    pipe = get_redis().pipeline(transaction=True)
    pipe.hset(keys.job_record(job_id), mapping=fields)  # type: ignore[arg-type]
    pipe.expire(keys.job_record(job_id), seconds)
    with translate_errors():
        pipe.execute()


def mark_cancelled(job_id: str, kill: bool = False) -> str:
    """Cancel by the record (``scripts.CANCEL_JOB``); the status it had ("" for none)."""
    with translate_errors():
        before = scripts.run(scripts.CANCEL_JOB, [keys.job_record(job_id)], [now_text(), ttl(), "1" if kill else ""])
    return before.decode() if isinstance(before, bytes) else str(before)


def ask_to_kill(job_id: str) -> bool:
    """Name a running job on the kill channel; whether any worker heard it."""
    with translate_errors():
        return bool(get_redis().publish(keys.kill_channel(), job_id))


def load(job_id: str) -> dict[bytes, bytes]:
    """The raw fields of a job's record ({} when there is none)."""
    with translate_errors():
        return get_redis().hgetall(keys.job_record(job_id))  # type: ignore[return-value]
