"""The worker registry in Redis, kept exactly as Ruby Resque keeps it, and its read API.

Ruby's ``Resque.workers`` lists our workers and we list Ruby's: id ``host:pid:queues``,
``workers`` set, ``worker:<id>`` (current job), ``worker:<id>:started``, the
``workers:heartbeat`` hash and the per-worker ``stat:*:<id>`` counters.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

from . import conf, history, keys
from .connection import get_redis, translate_errors
from .decoding import RECORD_DEPTH, to_int, to_text, to_time
from .payload import object_or_raw

STARTED_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def worker_id(queues: list[str], pid: int | None = None, host: str | None = None) -> str:
    """``host:pid:q1,q2`` with the queues as given (``*`` kept), as Ruby builds it."""
    return "%s:%d:%s" % (host or socket.gethostname(), pid or os.getpid(), ",".join(queues))


def register(worker_id: str) -> None:
    """Announce the worker: heartbeat, ``workers`` set and start time, in one MULTI."""
    _announce(worker_id, keep_started=False)


def heartbeat(worker_id: str) -> None:
    """Refresh the heartbeat; re-add the worker if Redis forgot it (e.g. after a restart)."""
    _announce(worker_id, keep_started=True)


def _announce(worker_id: str, *, keep_started: bool) -> None:
    started = dt.datetime.now(dt.UTC).astimezone().strftime(STARTED_FORMAT)
    with translate_errors():
        now = server_time()
        pipe = get_redis().pipeline(transaction=True)
        pipe.hset(keys.heartbeats(), worker_id, now.isoformat())
        pipe.sadd(keys.workers(), worker_id)
        pipe.set(keys.worker_started(worker_id), started, nx=keep_started)
        history.sample(pipe, worker_id)
        history.flush_into(pipe)  # the counts a long job would hold back
        pipe.execute()


def set_paused(worker_id: str, paused: bool) -> None:
    with translate_errors():
        if paused:
            get_redis().set(keys.worker_paused(worker_id), "1")
        else:
            get_redis().delete(keys.worker_paused(worker_id))


def unregister_keys(worker_id: str) -> None:
    """Remove every trace of the worker (its job must have been handled first)."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.srem(keys.workers(), worker_id)
    pipe.delete(
        keys.worker(worker_id),
        keys.worker_started(worker_id),
        keys.worker_paused(worker_id),
        keys.stat("processed", worker_id),
        keys.stat("failed", worker_id),
    )
    pipe.hdel(keys.heartbeats(), worker_id)
    with translate_errors():
        pipe.execute()


def server_time() -> dt.datetime:
    """Redis's clock (``TIME``), so heartbeats compare across hosts without clock skew."""
    with translate_errors():
        reply: Any = get_redis().time()
    if isinstance(reply, dict):  # RedisCluster may answer per node
        reply = next(iter(reply.values()))
    return dt.datetime.fromtimestamp(int(reply[0]), dt.UTC)


@dataclass(frozen=True)
class WorkerInfo:
    """One registered worker as the admin pages show it."""

    id: str
    host: str
    pid: int
    queues: tuple[str, ...]
    started: str | None
    heartbeat: dt.datetime | None
    job: dict[str, Any] | None  # the worker:<id> record ({"queue","run_at","payload"}) or None
    processed: int
    failed: int
    state: str  # "working", "idle" or "paused"
    is_stale: bool  # heartbeat older than PRUNE_INTERVAL: pruning will remove it


def all_workers() -> list[WorkerInfo]:
    """Every registered worker (ours and Ruby's), sorted by id."""
    with translate_errors():
        ids = sorted(to_text(member) for member in get_redis().smembers(keys.workers()))
    return _infos(ids)


def find(worker_id: str) -> WorkerInfo | None:
    """The registered worker with this id, or None."""
    with translate_errors():
        if not get_redis().sismember(keys.workers(), worker_id):
            return None
    return _infos([worker_id])[0]


def parse_id(worker_id: str) -> tuple[str, int, tuple[str, ...]]:
    """``host:pid:queues`` -> (host, pid, queues); a bad pid reads as 0."""
    host, pid, queues = ([*worker_id.split(":", 2), "", ""])[:3]
    return host, max(to_int(pid) or 0, 0), tuple(filter(None, queues.split(",")))


def _infos(ids: list[str]) -> list[WorkerInfo]:
    now = server_time()
    pipe = get_redis().pipeline(transaction=False)
    pipe.get(keys.pause_all())
    for wid in ids:
        pipe.get(keys.worker(wid))
        pipe.get(keys.worker_started(wid))
        pipe.hget(keys.heartbeats(), wid)
        pipe.get(keys.stat("processed", wid))
        pipe.get(keys.stat("failed", wid))
        pipe.exists(keys.worker_paused(wid))
    with translate_errors():
        pause_all, *rows = pipe.execute()
    all_paused = to_text(pause_all).lower() == "true"
    return [_info(wid, now, all_paused, rows[i * 6 : i * 6 + 6]) for i, wid in enumerate(ids)]


def _info(wid: str, now: dt.datetime, all_paused: bool, row: list[Any]) -> WorkerInfo:
    record, started, beat, processed, failed, paused = row
    host, pid, queues = parse_id(wid)
    job = object_or_raw(record, max_depth=RECORD_DEPTH) if record is not None else None  # raw if undecodable
    heartbeat = to_time(beat)
    state = "working" if record is not None else ("paused" if paused or all_paused else "idle")
    stale = heartbeat is not None and (now - heartbeat).total_seconds() > conf.get("PRUNE_INTERVAL")
    return WorkerInfo(
        id=wid,
        host=host,
        pid=pid,
        queues=queues,
        started=to_text(started) if started else None,
        heartbeat=heartbeat,
        job=job,
        processed=to_int(processed) or 0,
        failed=to_int(failed) or 0,
        state=state,
        is_stale=stale,
    )
