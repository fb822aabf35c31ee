"""Find a job by its id, class or argument text, wherever it is: running, queued, delayed, failed.

A search walks the places in that order from a ``Position`` and stops when it has found
a page of matches or read its budget of stored jobs, returning where to go on: the
work per request is bounded however many jobs there are. Lists move while we walk
(workers pop queues, failures are added), so a job may be missed or seen twice by a
walk that spans requests, never misread: each match is shown with what was read.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis

from . import delayed, keys
from . import queue as queue_api
from .connection import get_redis, translate_errors
from .decoding import RECORD_DEPTH, exact_text, loads, to_text, to_wire
from .exceptions import UndecodableError
from .failure import api as failure_api
from .payload import ID_KEY

logger = logging.getLogger(__name__)

BUDGET = 2000  # stored jobs read per request at most
CHUNK = 200  # jobs read per Redis call
MAX_QUERY = 200  # characters of a query
PLACES = ("running", "queued", "delayed", "failed")
_POSITION = re.compile(r"([0-3])\.([0-9]{1,18})\.([0-9]{1,18})")


@dataclass(frozen=True)
class Position:
    """Where a walk is: the place (index in PLACES), which list there, the offset in it."""

    place: int = 0
    outer: int = 0
    inner: int = 0

    def encode(self) -> str:
        return f"{self.place}.{self.outer}.{self.inner}"

    @classmethod
    def parse(cls, text: str | None) -> Position | None:
        """A position from a query string; None for anything else."""
        match = _POSITION.fullmatch(text or "0.0.0")
        return cls(*map(int, match.groups())) if match else None


@dataclass(frozen=True)
class Match:
    place: str  # one of PLACES
    where: str  # worker id, queue name, delayed epoch, or "" (failed)
    index: int  # position in its list (queued, delayed, failed); 0 for running
    raw: bytes  # the stored bytes, exactly
    job: str
    args: str  # the arguments as JSON text
    id: str  # the job's id (issue 15), "" for a job without one


@dataclass(frozen=True)
class Result:
    matches: list[Match]
    read: int  # stored jobs read
    next: Position | None  # None: every place was walked to its end


# (position, where, index, raw, payload) of each stored job read, and the next position
Walked = tuple[Position, str, int, bytes, Any]


def find(query: str, start: Position | None = None, limit: int = 25, budget: int | None = None) -> Result:
    """The jobs whose class or arguments contain ``query`` or whose id is it (case-insensitive), from ``start``.

    At most ``budget`` (BUDGET) stored jobs are read.
    """
    budget = BUDGET if budget is None else budget
    needle = query.strip()[:MAX_QUERY].casefold()
    found: list[Match] = []
    read = 0
    for position, where, index, raw, payload in _walk(start or Position()):
        if read >= budget or len(found) >= limit:
            return Result(found, read, position)
        read += 1
        job, args, job_id = _job_and_args(payload, raw)
        if needle and (needle in job.casefold() or needle in args.casefold() or needle == job_id.casefold()):
            found.append(Match(PLACES[position.place], where, index, raw, job, args, job_id))
    return Result(found, read, None)


def _walk(start: Position) -> Iterator[Walked]:
    """Every stored job from ``start``, each with its own position, place by place."""
    walkers: list[Callable[[Position], Iterator[Walked]]] = [_running, _queued, _delayed, _failed]
    for place in range(start.place, len(PLACES)):
        yield from walkers[place](start if place == start.place else Position(place))


def _running(start: Position) -> Iterator[Walked]:
    with translate_errors():
        ids = sorted(exact_text(member) for member in get_redis().smembers(keys.workers()))
    for at in range(start.outer, len(ids), CHUNK):
        chunk = ids[at : at + CHUNK]
        with translate_errors():
            records = get_redis().mget([to_wire(keys.worker(wid)) for wid in chunk])
        for offset, (wid, record) in enumerate(zip(chunk, records, strict=True)):
            if record is not None:
                yield Position(0, at + offset), wid, 0, _bytes(record), _record_payload(record)


def _queued(start: Position) -> Iterator[Walked]:
    names = queue_api.names()
    for outer in range(start.outer, len(names)):
        inner = start.inner if outer == start.outer else 0
        for index, raw in _list_from(functools.partial(queue_api.peek_raw, names[outer]), inner):
            yield Position(1, outer, index), names[outer], index, _bytes(raw), _decoded(raw)


def _delayed(start: Position) -> Iterator[Walked]:
    for outer, stamp in _list_from(delayed.timestamps, start.outer):
        inner = start.inner if outer == start.outer else 0
        for index, item in _list_from(functools.partial(delayed.items_at, stamp), inner):
            payload = item.payload.as_dict() if item.payload is not None else _decoded(item.raw)
            yield Position(2, outer, index), str(stamp), index, _bytes(item.raw), payload


def _failed(start: Position) -> Iterator[Walked]:
    for _, entry in _list_from(failure_api.page, start.inner):
        payload = entry.record.payload if entry.record is not None else _decoded(entry.raw)
        yield Position(3, 0, entry.index), "", entry.index, entry.raw, payload


def _list_from(read: Callable[[int, int], list[Any]], start: int) -> Iterator[tuple[int, Any]]:
    """(index, item) of a list read CHUNK items at a time from ``start``.

    A key of another type (another program's) ends that list, with a warning: the walk goes on.
    """
    at = start
    while True:
        try:
            items = read(at, CHUNK)
        except redis.exceptions.ResponseError as exc:
            logger.warning("Find a job could not read a list and went past it: %s", exc)
            return
        for offset, item in enumerate(items):
            yield at + offset, item
        if len(items) < CHUNK:
            return
        at += len(items)


def _record_payload(record: bytes | str) -> Any:
    data = _decoded(record, RECORD_DEPTH)
    return data.get("payload") if isinstance(data, dict) else data


def _decoded(raw: bytes | str, depth: int | None = None) -> Any:
    try:
        return loads(raw, max_depth=depth) if depth else loads(raw)
    except UndecodableError:
        return to_text(raw)


def _job_and_args(payload: Any, raw: bytes) -> tuple[str, str, str]:
    """The job's class, its arguments as JSON and its id; a payload that is not a job is all "arguments"."""
    if not isinstance(payload, dict):
        return "", to_text(raw), ""
    job = payload.get("class")
    job_id = payload.get(ID_KEY)
    args = json.dumps(payload.get("args"), ensure_ascii=False, default=str)
    return (job if isinstance(job, str) else ""), args, (job_id if isinstance(job_id, str) else "")


def _bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
