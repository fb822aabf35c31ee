"""The fleet's recent history, kept in Redis for the admin's charts: bounded, self-expiring.

Per minute (RESQUE['HISTORY_MINUTES'], a day by default) and per hour
(RESQUE['HISTORY_HOURS'], a week): jobs processed and failed, fleet-wide and per queue,
and the queues' depth; with DURATION_METRICS, each job class's count, total and longest
run, fleet-wide and per queue. Writing it costs a job no round trip: a process holds
its jobs' counts (``count``) and adds them, at most once a second, to the minute's hash
inside a script it calls anyway (``scripts.RESERVE``, ``scripts.FINISH_JOB``), or with
its heartbeat, or when it goes idle or stops (``flush``). A count can so reach its
minute up to a second late (a heartbeat, behind a long job), and a process killed
outright loses the counts it held: a chart's, never a job's. The depth is sampled inside
the heartbeat's MULTI, which also folds the finished minutes into their hours (once a
minute for the fleet); durations go by one EVAL in the duration histogram's pipeline
(``scripts.RECORD_DURATION``: the fleet's and the job's queue's minute and hour). So an
hour's counts lag by the minutes not folded yet (one or two). Ruby's workers write none of it (``non_writers``
names them), and durations recorded before they were kept per queue show only
fleet-wide.

A queue's durations live in hashes of their own, named by ``keys.history_queue_durations``
with the queue's name last, and each field is ``<kind>:<job>`` with a kind holding no
':', so ':' in a job's name (Ruby's ``Mail::Digest``) or a queue's cannot be misread.
A queue's hash takes at most ``MAX_QUEUE_JOB_CLASSES`` job classes: the admin reads no
larger one, so what a queue page reads is bounded (``slowest``).

Everything read back may be hostile: a value that is not a number counts as nothing, a
field of no known kind is skipped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from . import conf, keys, scripts
from .connection import get_redis, translate_errors
from .decoding import to_float, to_int, to_text
from .payload import dumps
from .queue import is_valid_name

MINUTE, HOUR = 60, 3600
MAX_SAMPLED_QUEUES = 1000  # past this, no depth is sampled: Redis would be held too long
SLOWEST = 10  # job classes the slowest table shows
MAX_QUEUE_JOB_CLASSES = 100  # job classes one queue's duration hash takes (3 fields each)


@dataclass(frozen=True)
class Span:
    """A chart's time span: what it reads (minute or hour hashes) and how it groups them."""

    name: str
    label: str
    resolution: str  # "minute" or "hour": which hashes are read
    buckets: int  # how many hashes, up to now
    group: int  # hashes per point (a day's 1,440 minutes drawn as 96 quarters)

    @property
    def step(self) -> int:
        return MINUTE if self.resolution == "minute" else HOUR

    @property
    def point_seconds(self) -> int:
        return self.step * self.group


SPANS = {
    "hour": Span("hour", "Last hour", "minute", 60, 1),
    "day": Span("day", "Last 24 hours", "minute", 1440, 15),
    "week": Span("week", "Last 7 days", "hour", 168, 1),
}


@dataclass(frozen=True)
class Point:
    start: int  # epoch seconds
    processed: int
    failed: int
    depth: int | None  # None: not sampled in this time


@dataclass(frozen=True)
class Slow:
    job: str
    count: int
    average: float
    longest: float


# Writing (the worker's side) ------------------------------------------------------


# The jobs this process finished, as history fields (processed, processed:<queue>,
# failed, failed:<queue>) and counts not written yet. They go with the process's next
# reserve or finish script at least FLUSH_SECONDS after the last write, with its
# heartbeat (a long job), or with ``flush`` (going idle, stopping): three commands a job
# inside those scripts became three a second. Guarded by a lock: a --no-fork worker's
# heartbeat thread takes them too.
FLUSH_SECONDS = 1.0
_pending: dict[str, int] = {}
_written_at = 0.0
_lock = threading.Lock()


def count(queue: str, failed: bool) -> None:
    """One finished job of ``queue`` ('' if unknown), held until the next write."""
    with _lock:
        for name in ("processed", "failed") if failed else ("processed",):
            _pending[name] = _pending.get(name, 0) + 1
            if queue:
                field = f"{name}:{queue}"
                _pending[field] = _pending.get(field, 0) + 1


def script_args(flush: bool = False) -> tuple[str, str, str, str]:
    """The four history arguments of RESERVE, FINISH_JOB and ADD_TO_HISTORY: prefix ('' when
    off), minute TTL, the counts due (JSON; '' when none is due; all with ``flush``), -.

    Counts handed over here are forgotten: if the call carrying them fails, they are
    lost, and a job whose finishing call is tried again may be counted twice (a chart's
    count, never a job: Resque's own ``stat:`` counters move with the record, exactly).
    """
    prefix, ttl = _writing()
    if not prefix:
        with _lock:
            _pending.clear()
        return ("", "0", "", "-")
    return (prefix, ttl, _take(flush), "-")


def flush() -> None:
    """Write the counts this process holds now (a worker going idle or stopping, a job process ending)."""
    args = script_args(flush=True)
    if args[2]:
        scripts.run(scripts.ADD_TO_HISTORY, [], args)


def flush_into(pipe: Any) -> None:
    """Queue the counts this process holds on ``pipe`` (the heartbeat's MULTI)."""
    args = script_args(flush=True)
    if args[2]:
        _eval_with(pipe, scripts.ADD_TO_HISTORY, [], list(args))


def _take(flush: bool) -> str:
    global _written_at
    with _lock:
        if not _pending:
            return ""
        now = time.monotonic()
        if not flush and now - _written_at < FLUSH_SECONDS:
            return ""
        _written_at = now
        counts = [part for field, n in _pending.items() for part in (field, n)]
        _pending.clear()
    return dumps(counts)


def _forget_pending() -> None:
    """In a forked process: the parent's counts are the parent's to write (and its lock may be held)."""
    global _written_at, _lock
    _lock = threading.Lock()
    _pending.clear()
    _written_at = 0.0


os.register_at_fork(after_in_child=_forget_pending)


@conf.per_settings
def _writing() -> tuple[str, str]:
    """The history key prefix and minute TTL ('' and '0' when history is off)."""
    if not conf.get("HISTORY"):
        return ("", "0")
    return (keys.history_prefix(), str(_minute_ttl()))


def sample(pipe: Any, worker_id: str) -> None:
    """Queue SAMPLE_HISTORY on the heartbeat's pipeline (EVAL: no NOSCRIPT inside a MULTI)."""
    if not conf.get("HISTORY"):
        return
    script_keys = [keys.queues(), keys.history_writers()]
    args = [
        keys.history_prefix(),
        _minute_ttl(),
        _hour_ttl(),
        worker_id,
        keys.queue_prefix(),
        MAX_SAMPLED_QUEUES,
        fold_minutes(),
    ]
    _eval_with(pipe, scripts.SAMPLE_HISTORY, script_keys, args)


def record_duration(pipe: Any, job_name: str, seconds: float, queue_name: str | None = None) -> None:
    """Queue one job's duration for this minute's and hour's summaries on ``pipe``: the
    fleet's, and ``queue_name``'s when it is a valid queue name (one EVAL for all)."""
    if not conf.get("HISTORY"):
        return
    queue_arg = queue_name if queue_name and is_valid_name(queue_name) else ""
    args = [
        keys.history_prefix(),
        _minute_ttl(),
        _hour_ttl(),
        job_name,
        repr(seconds),
        queue_arg,
        MAX_QUEUE_JOB_CLASSES,
    ]
    _eval_with(pipe, scripts.RECORD_DURATION, [], args)


def _eval_with(pipe: Any, source: str, script_keys: list[str], args: list[Any]) -> None:
    """The script on ``pipe``; a Redis Cluster pipeline runs no scripts, so there it runs now,
    one more round trip (a heartbeat's, or a duration's: never the job's own)."""
    if isinstance(pipe, redis.client.Pipeline):
        pipe.eval(source, len(script_keys), *script_keys, *args)
    else:
        scripts.run(source, script_keys, args)


def fold_minutes() -> int:
    """How many minutes back a sample folds into hours: more than a heartbeat's gap."""
    return min(int(conf.get("HEARTBEAT_INTERVAL")) // MINUTE + 3, int(conf.get("HISTORY_MINUTES")))


def _minute_ttl() -> int:
    return int(conf.get("HISTORY_MINUTES")) * MINUTE + MINUTE


def _hour_ttl() -> int:
    return int(conf.get("HISTORY_HOURS")) * HOUR + HOUR


# Reading (the admin's side) -------------------------------------------------------


def span_named(name: str | None) -> Span:
    """The span a query string names; the last hour by default or for anything unknown."""
    return SPANS.get(name or "", SPANS["hour"])


def starts(span: Span, now: int) -> list[int]:
    """The epochs of the hashes ``span`` reads, oldest first, ending with the current one."""
    current = now - now % span.step
    return [current - span.step * back for back in range(span.buckets - 1, -1, -1)]


def series(span: Span, queue: str | None = None, now: int | None = None) -> list[Point]:
    """Processed, failed and depth per point of ``span``, fleet-wide or of one queue."""
    now = server_now() if now is None else now
    fields = (
        ["processed", "failed", "depth"]
        if queue is None
        else [f"{n}:{queue}" for n in ("processed", "failed", "depth")]
    )
    pipe = get_redis().pipeline(transaction=False)
    epochs = starts(span, now)
    for epoch in epochs:
        pipe.hmget(keys.history(span.resolution, epoch), fields)
    with translate_errors():
        replies = pipe.execute(raise_on_error=False)
    rows = [_counts(reply) for reply in replies]
    return [_grouped(epochs[i], rows[i : i + span.group]) for i in range(0, len(rows), span.group)]


def _counts(reply: Any) -> tuple[int, int, int | None]:
    """One hash's processed, failed, depth; a wrong type or a value that is no count is nothing."""
    if not isinstance(reply, list) or len(reply) != 3:
        return 0, 0, None
    processed, failed, depth = (_count(value) for value in reply)
    return processed or 0, failed or 0, depth


def _count(value: Any) -> int | None:
    number = to_int(value, None) if value is not None else None
    return number if number is None or number >= 0 else None


def _grouped(start: int, rows: list[tuple[int, int, int | None]]) -> Point:
    depths = [depth for _, _, depth in rows if depth is not None]
    return Point(
        start=start,
        processed=sum(row[0] for row in rows),
        failed=sum(row[1] for row in rows),
        depth=max(depths) if depths else None,
    )


def slowest(span: Span, queue: str | None = None, now: int | None = None, limit: int = SLOWEST) -> list[Slow]:
    """The job classes with the longest average run over ``span`` (DURATION_METRICS), slowest
    first: the fleet's, or those of ``queue``.

    A day is read from its hours, so at most 168 hashes are read (60 for the last hour).
    The fleet's each hold every job class that ran then. A queue's are read in two round
    trips, HLEN then HGETALL of those of at most ``3 * MAX_QUEUE_JOB_CLASSES`` fields
    (larger ones, which no worker of ours writes, are skipped): at most 168 * 300 fields.
    """
    now = server_now() if now is None else now
    resolution = "minute" if span.name == "hour" else "hour"
    step = MINUTE if resolution == "minute" else HOUR
    current = now - now % step
    epochs = [current - step * back for back in range(span.buckets * span.step // step)]
    if queue is None:
        hashes = _hashes([keys.history_durations(resolution, epoch) for epoch in epochs])
    else:
        names = [keys.history_queue_durations(resolution, epoch, queue) for epoch in epochs]
        hashes = _hashes(names, most_fields=3 * MAX_QUEUE_JOB_CLASSES)
    totals = _duration_totals(hashes)
    ranked = sorted(totals.values(), key=lambda slow: (-slow.average, slow.job))
    return ranked[:limit]


def _hashes(names: list[str], most_fields: int | None = None) -> list[dict[bytes, bytes]]:
    """The hashes named, in one pipeline; with ``most_fields``, only those no larger, found
    first by HLEN. A key of another type is left out."""
    client = get_redis()
    if most_fields is not None:
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.hlen(name)
        with translate_errors():
            sizes = pipe.execute(raise_on_error=False)
        names = [name for name, size in zip(names, sizes, strict=True) if _fits(size, most_fields)]
        if not names:
            return []
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(name)
    with translate_errors():
        replies = pipe.execute(raise_on_error=False)
    return [reply for reply in replies if isinstance(reply, dict)]


def _fits(size: Any, most_fields: int) -> bool:
    return isinstance(size, int) and not isinstance(size, bool) and 0 < size <= most_fields


def _duration_totals(hashes: Iterable[dict[bytes, bytes]]) -> dict[str, Slow]:
    count: dict[str, int] = {}
    total: dict[str, float] = {}
    longest: dict[str, float] = {}
    for fields in hashes:
        for raw_field, raw_value in fields.items():
            kind, _, job = to_text(raw_field).partition(":")
            value = to_float(raw_value)
            if value is None or value < 0 or not job:
                continue
            if kind == "count":
                count[job] = count.get(job, 0) + int(value)
            elif kind == "sum":
                total[job] = total.get(job, 0.0) + value
            elif kind == "max":
                longest[job] = max(longest.get(job, 0.0), value)
    return {job: Slow(job, n, total.get(job, 0.0) / n, longest.get(job, 0.0)) for job, n in count.items() if n > 0}


def non_writers(worker_ids: Iterable[str]) -> list[str]:
    """The registered workers that write no history (Ruby's, or ours from before it), sorted."""
    ids = sorted(worker_ids)
    if not ids:
        return []
    pipe = get_redis().pipeline(transaction=False)
    pipe.hmget(keys.history_writers(), ids)
    with translate_errors():
        (stamps,) = pipe.execute(raise_on_error=False)
    if not isinstance(stamps, list):  # another program's key of another type: none is known
        stamps = [None] * len(ids)
    return [wid for wid, stamp in zip(ids, stamps, strict=True) if to_int(stamp, None) is None]


def server_now() -> int:
    """Redis's clock, which the scripts' minutes come from."""
    with translate_errors():
        reply: Any = get_redis().time()
    if isinstance(reply, dict):  # RedisCluster may answer per node
        reply = next(iter(reply.values()))
    return int(reply[0])
