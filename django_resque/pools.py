"""The pool managers' record in Redis (ours: Ruby Resque ignores these keys), and its read API.

Each manager keeps one hash ``django_resque:pool:<host:pid>`` (host, pid, started, its
lines and its workers' pids, as JSON) and its id in the ``django_resque:pools`` zset,
scored with the moment the record expires. Both are renewed every HEARTBEAT_INTERVAL
and live PRUNE_INTERVAL, so a manager killed with -9 vanishes on its own.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import conf, keys
from .connection import get_redis, translate_errors
from .workers import server_time

if TYPE_CHECKING:
    from redis.typing import EncodableT, FieldT


def pool_id(pid: int | None = None, host: str | None = None) -> str:
    """``host:pid`` of a pool manager."""
    return "%s:%d" % (host or socket.gethostname(), pid or os.getpid())


def save(pid: int, started: str, lines: Mapping[str, int], workers: Mapping[int, str]) -> None:
    """Write (or renew) this manager's record: its wanted lines and its workers (pid -> line)."""
    ident = pool_id(pid)
    ttl = int(conf.get("PRUNE_INTERVAL"))
    now = server_time().timestamp()
    fields: dict[FieldT, EncodableT] = {
        "host": socket.gethostname(),
        "pid": str(pid),
        "started": started,
        "lines": json.dumps(dict(lines)),
        "workers": json.dumps({str(worker): line for worker, line in workers.items()}),
    }
    with translate_errors():
        pipe = get_redis().pipeline(transaction=True)
        pipe.hset(keys.pool(ident), mapping=fields)
        pipe.expire(keys.pool(ident), ttl)
        pipe.zadd(keys.pools(), {ident: now + ttl})
        pipe.zremrangebyscore(keys.pools(), "-inf", now)
        pipe.execute()


def remove(pid: int) -> None:
    ident = pool_id(pid)
    with translate_errors():
        pipe = get_redis().pipeline(transaction=True)
        pipe.zrem(keys.pools(), ident)
        pipe.delete(keys.pool(ident))
        pipe.execute()


@dataclass(frozen=True)
class PoolInfo:
    """One live pool manager as the admin and ``resque_info`` show it."""

    id: str
    host: str
    pid: int
    started: str
    lines: dict[str, int]  # wanted: queue list -> count
    workers: dict[int, str]  # running: worker pid -> queue list

    def running(self, line: str) -> int:
        return sum(1 for queues in self.workers.values() if queues == line)


def all_pools() -> list[PoolInfo]:
    """Every pool manager whose record has not expired, sorted by host then pid."""
    now = server_time().timestamp()
    with translate_errors():
        members: list[bytes] = get_redis().zrangebyscore(keys.pools(), now, "+inf")  # type: ignore[assignment]
        ids = [_text(member) for member in members]
        pipe = get_redis().pipeline(transaction=False)
        for ident in ids:
            pipe.hgetall(keys.pool(ident))
        records = pipe.execute()
    found = [_info(ident, record) for ident, record in zip(ids, records, strict=True) if record]
    return sorted(found, key=lambda info: (info.host, info.pid))


def _info(ident: str, record: dict[bytes, bytes]) -> PoolInfo:
    """A record as read: malformed fields (another program wrote them) read as empty, and
    unprintable characters as U+FFFD, so no terminal or title gets a control sequence."""
    fields = {_text(key): _text(value) for key, value in record.items()}
    host, _, pid = _printable(ident).rpartition(":")
    lines = _json_object(fields.get("lines"))
    workers = _json_object(fields.get("workers"))
    return PoolInfo(
        id=_printable(ident),
        host=host,
        pid=int(pid) if pid.isdigit() else 0,
        started=_printable(fields.get("started", "")),
        lines={_printable(line): count for line, count in lines.items() if isinstance(count, int)},
        workers={
            int(worker): _printable(str(line))
            for worker, line in workers.items()
            if worker.isascii() and worker.isdigit()
        },
    )


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _printable(value: str) -> str:
    return "".join(char if char.isprintable() else "\ufffd" for char in value)


def _json_object(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
