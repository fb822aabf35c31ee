"""Job ids and handles: ``delay()`` returns a JobHandle; ``fetch(id)`` gives it back anywhere.

handle = send_welcome.delay(42)
handle.id                                  # "0194f3a2c1de5b8e0c4e2f6a9d71b3c0"
fetch(handle.id).status                    # "queued", "running", "finished", ...
fetch(handle.id).wait(timeout=30).result   # the return value, if results are kept
cancel(handle.id)                          # never performed, if it has not started

The id is made here, by the client, and travels in the payload (``payload.ID_KEY``):
12 hex digits of the enqueue time in milliseconds, then 20 random ones. A queued job has
no record, so a missing record with an id younger than ``STATUS_TTL`` reads as queued.
Everything read from a record may have been written by another program: a value that
does not parse gives status ``unknown`` with the reason, never an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis

from . import delayed
from . import status as store
from .decoding import loads, to_int, to_text
from .exceptions import UndecodableError
from .payload import dumps

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_OUR_ID = re.compile(r"[0-9a-f]{32}\Z")
# Tasks results written before the store was shared spoke the framework's words.
_TASK_STATUSES = {"READY": store.QUEUED, "RUNNING": store.RUNNING, "SUCCESSFUL": store.FINISHED, "FAILED": store.FAILED}


def new_id() -> str:
    """A new job id: the time in milliseconds (12 hex digits), then 80 random bits (os.urandom)."""
    return "%012x%s" % (int(time.time() * 1000) & 0xFFFFFFFFFFFF, _random_digits())


def _random_digits() -> str:
    """20 random hex digits, from a pool ``os.urandom`` refills 256 ids at a time.

    A system call per id cost a ``delay()`` ~2,000 instructions. ``next`` on the pool
    is atomic, so threads never share digits; a forked child starts a pool of its own
    (``_drop_pool``), or parent and child would hand out the same ids.
    """
    global _pool
    digits = next(_pool, None)
    if digits is None:
        text = os.urandom(10 * _POOL_SIZE).hex()
        _pool = iter([text[start : start + 20] for start in range(0, len(text), 20)])
        digits = next(_pool)
    return digits


_POOL_SIZE = 256
_pool: Iterator[str] = iter(())


def _drop_pool() -> None:
    global _pool
    _pool = iter(())


os.register_at_fork(after_in_child=_drop_pool)


def new_ids(count: int) -> tuple[list[str], dt.datetime]:
    """``count`` new ids as ``new_id`` makes them, from one clock read and one ``os.urandom``
    (bulk enqueueing), and the time they carry."""
    millis = int(time.time() * 1000) & 0xFFFFFFFFFFFF
    prefix, random = "%012x" % millis, os.urandom(10 * count).hex()
    ids = [prefix + random[start : start + 20] for start in range(0, 20 * count, 20)]
    return ids, dt.datetime.fromtimestamp(millis / 1000, dt.UTC)


def is_valid_id(text: object) -> bool:
    """Whether ``text`` can be a job id (ours, or a Tasks result's): 1 to 64 of ``A-Za-z0-9_-``."""
    return isinstance(text, str) and _ID.match(text) is not None


def enqueued_at_of(job_id: str) -> dt.datetime | None:
    """When a job with an id of ours was enqueued (from the id itself), else None."""
    if not _OUR_ID.match(job_id):
        return None
    return dt.datetime.fromtimestamp(int(job_id[:12], 16) / 1000, dt.UTC)


class _Unread:
    """The mark of an enqueue time not yet read from the job's id."""


_UNREAD = _Unread()


class _EnqueuedAt:
    """``JobHandle.enqueued_at``: as given, or, for a handle ``queued`` made, read from the
    id on first use. A handle is made on every ``delay()``, and its time is seldom read:
    parsing it there was 6% of a ``delay()``'s CPU (py-spy). Holds None until set."""

    def __get__(self, handle: JobHandle | None, owner: type | None = None) -> dt.datetime | None:
        if handle is None:
            return None  # the field's default, as the dataclass reads it
        value = handle.__dict__.get("_enqueued_at")
        if value is _UNREAD:
            value = handle.__dict__["_enqueued_at"] = enqueued_at_of(handle.id)
        return value

    def __set__(self, handle: JobHandle, value: dt.datetime | None) -> None:
        handle.__dict__["_enqueued_at"] = value


@dataclass(frozen=True)
class JobHandle:
    """What is known of one job. ``reason`` says why a status is only implied or unknown,
    or why nothing was enqueued."""

    id: str
    status: str
    name: str = ""
    queue: str = ""
    reason: str = ""
    enqueued_at: _EnqueuedAt = _EnqueuedAt()
    run_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    worker: str = ""
    attempt: int = 0
    result: Any = None
    has_result: bool = False
    exception: str = ""
    error: str = ""
    failure: str = ""  # the failure record's digest, as ``resque_failed`` and the admin show it

    @property
    def enqueued(self) -> bool:
        """False when nothing was enqueued (a unique job's duplicate)."""
        return self.status != store.NOT_ENQUEUED

    def __bool__(self) -> bool:
        return self.enqueued

    @property
    def is_over(self) -> bool:
        return self.status in store.OVER

    def refresh(self) -> JobHandle:
        """The job as Redis knows it now."""
        return fetch(self.id) if self.enqueued else self

    def wait(self, timeout: float, interval: float = 0.1) -> JobHandle:
        """Poll until the job is over (finished, failed, cancelled); TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        current = self.refresh()
        while not current.is_over and current.enqueued:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"Job {self.id} is still {current.status} after {timeout} s.")
            time.sleep(interval)
            current = current.refresh()
        return current

    def cancel(self, kill: bool = False) -> JobHandle:
        return cancel(self.id, kill=kill)


def result_text(found: JobHandle, limit: int = 10_000) -> str:
    """The result as JSON for a page, cut to ``limit`` characters."""
    text = dumps(found.result)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def as_dict(found: JobHandle) -> dict[str, Any]:
    """The handle's fields as JSON-ready values (times as ISO 8601), in order."""
    data = dataclasses.asdict(found)
    for key in ("enqueued_at", "run_at", "started_at", "finished_at"):
        data[key] = data[key].isoformat() if data[key] is not None else None
    return data


def queued(job_id: str, name: str, queue: str, reason: str = "", enqueued_at: dt.datetime | None = None) -> JobHandle:
    """The handle of a job just pushed (nothing read from Redis); ``enqueued_at`` if known, else
    read from the id when first asked for.

    Built without the dataclass's ``__init__`` (a frozen one sets its 17 fields one
    ``object.__setattr__`` at a time): this runs once per ``delay()`` and per job of
    ``enqueue_many``. Only the fields known here go in the instance; the others read
    their defaults from the class (every other field has a plain default, not a factory).
    """
    made = object.__new__(JobHandle)
    made.__dict__.update(
        id=job_id, status=store.QUEUED, name=name, queue=queue, reason=reason, _enqueued_at=enqueued_at or _UNREAD
    )
    return made


def scheduled(job_id: str, name: str, queue: str, epoch: float) -> JobHandle:
    run_at = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return JobHandle(job_id, store.SCHEDULED, name, queue, enqueued_at=enqueued_at_of(job_id), run_at=run_at)


def ran_eagerly(job_id: str, name: str, queue: str, value: Any) -> JobHandle:
    """ALWAYS_EAGER: the job ran in this process and returned ``value``."""
    now = dt.datetime.now(dt.UTC)
    return JobHandle(
        job_id, store.FINISHED, name, queue, "run in-process (ALWAYS_EAGER)", now, None, now, now, "", 1, value, True
    )


def not_enqueued(job_id: str, name: str, queue: str, reason: str) -> JobHandle:
    return JobHandle(job_id, store.NOT_ENQUEUED, name, queue, reason)


def fetch(job_id: str) -> JobHandle:
    """The job with this id as Redis knows it, in any process; ``unknown`` (with a reason) if not known."""
    if not is_valid_id(job_id):
        return JobHandle(str(job_id)[:64], store.UNKNOWN, reason="not a job id (1 to 64 of A-Z a-z 0-9 _ -)")
    try:
        fields = store.load(job_id)
    except redis.ResponseError:  # WRONGTYPE: another program's key under our record's name
        return JobHandle(job_id, store.UNKNOWN, reason="its record's key holds something else (not a hash)")
    if not fields:
        return _without_record(job_id)
    return from_record(job_id, {to_text(key): to_text(value) for key, value in fields.items()})


def _without_record(job_id: str) -> JobHandle:
    enqueued_at = enqueued_at_of(job_id)
    age = (dt.datetime.now(dt.UTC) - enqueued_at).total_seconds() if enqueued_at else None
    if age is None or not -60 <= age < store.ttl():
        return JobHandle(job_id, store.UNKNOWN, reason="no record: never enqueued, or forgotten after STATUS_TTL")
    reason = (
        "no worker has taken it yet (a queued job has no record; this also reads so for a job "
        "deleted from its queue or run by a Ruby worker)"
    )
    return JobHandle(job_id, store.QUEUED, reason=reason, enqueued_at=enqueued_at)


def from_record(job_id: str, data: dict[str, str]) -> JobHandle:
    """A handle from a record's fields (text); an unreadable record gives ``unknown``."""
    found = data.get("status", "")
    status = _TASK_STATUSES.get(found, found)
    try:
        handle = JobHandle(
            id=job_id,
            status=status,
            name=data.get("job") or data.get("task", ""),
            queue=data.get("queue_name", ""),
            enqueued_at=_time(data.get("enqueued_at")) or enqueued_at_of(job_id),
            run_at=_time(data.get("run_after")),
            started_at=_time(data.get("started_at")),
            finished_at=_time(data.get("finished_at")),
            worker=data.get("worker", ""),
            attempt=to_int(data.get("attempt", "0"), 0) or 0,
            exception=data.get("exception", ""),
            error=data.get("error", ""),
            failure=data.get("failure", ""),
        )
        if "return_value" in data:
            handle = dataclasses.replace(handle, result=loads(data["return_value"]), has_result=True)
    except (ValueError, OverflowError, UndecodableError) as exc:
        return JobHandle(job_id, store.UNKNOWN, reason=f"its record is not readable: {_short(exc)}")
    if status not in store.STATUSES or status == store.UNKNOWN:
        return dataclasses.replace(handle, status=store.UNKNOWN, reason=f"its record has the status {_short(found)!s}")
    return handle


def _time(text: str | None) -> dt.datetime | None:
    """An ISO time, or epoch seconds (a ``run_after`` in whole seconds); ValueError otherwise."""
    if not text:
        return None
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC)
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def cancel(job_id: str, kill: bool = False) -> JobHandle:
    """Cancel a job no worker has started: it is never performed; a scheduled one leaves the schedule.

    A running job is left alone, unless ``kill``: then its job process is ended as the
    worker's USR1 does (``reason`` says how). Returns the job as it now is.
    """
    if not is_valid_id(job_id):
        return fetch(job_id)
    before = store.mark_cancelled(job_id, kill=kill)
    handle = fetch(job_id)
    if before in (store.SCHEDULED, store.RETRY_SCHEDULED) and handle.run_at is not None:
        delayed.remove_by_id(int(handle.run_at.timestamp()), job_id)  # else only dropped when its time comes
    if before not in ("running", "RUNNING"):
        return handle
    if not kill:
        return dataclasses.replace(handle, reason="it is running: left to run (cancel with kill=True to end it)")
    if store.ask_to_kill(job_id):
        return dataclasses.replace(handle, reason=f"it is running: worker {handle.worker} was asked to end it")
    return dataclasses.replace(handle, reason="it is running, and no worker heard the request to end it")
