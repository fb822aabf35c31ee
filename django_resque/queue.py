"""Queues: push, size, peek, list, remove, dequeue; which queues a worker's names and globs take.

Reserving is ``inflight.py``."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis

from . import conf, keys, scripts
from .connection import get_redis, translate_errors
from .decoding import content_digest, to_text
from .exceptions import InvalidQueueNameError, MalformedPayloadError
from .payload import Payload, canonical, check_json_arguments, decode

if TYPE_CHECKING:
    from redis.client import Pipeline

# Values per RPUSH command when enqueueing in bulk: large enough to make the command's
# cost vanish, small enough to keep one command's reply and server time short.
MAX_VALUES_PER_PUSH = 1000


def push(queue: str, payload: Payload) -> None:
    """Append a job: ``SADD queues`` + ``RPUSH queue:<q>`` in one step (a Lua script)."""
    if type(queue) is not str:
        check_name(queue)  # its clear error, before the cache below fails to hash it
    queues_key, queue_key, wake_channel = _push_keys(queue)
    scripts.run(scripts.PUSH, [queues_key, queue_key], [queue, payload.encode(), wake_channel])


def _push_keys_of(queue: str) -> tuple[str, str, str]:
    """The keys ``push`` writes for ``queue``, its name checked: once per queue (until the
    settings change, ``_push_keys``), not on every ``delay()`` (~8% of its instructions)."""
    check_name(queue)
    return keys.queues(), keys.queue(queue), keys.wake_channel()


_push_keys = conf.per_settings(_push_keys_of, maxsize=1024)


def push_many(jobs: Iterable[tuple[str, Payload]]) -> int:
    """Append many jobs in one MULTI round trip; all or nothing. Returns how many."""
    return push_many_encoded((queue, payload.encode()) for queue, payload in jobs)


def push_many_encoded(jobs: Iterable[tuple[str, str]]) -> int:
    """``push_many`` for payloads already encoded (``payload.encode_call``).

    Consecutive jobs for one queue share one ``SADD`` and one ``RPUSH`` with many
    values: the same data and order as a ``SADD`` + ``RPUSH`` per job, in far fewer
    commands for Redis to parse and run. Each queue is announced once on the wake
    channel (a MULTI cannot tell whether it was empty, so always).
    """
    pipe = get_redis().pipeline(transaction=True)
    count = 0
    queues: set[str] = set()
    for queue, encoded in _runs_by_queue(jobs):
        check_name(queue)
        pipe.sadd(keys.queues(), queue)
        pipe.rpush(keys.queue(queue), *encoded)
        count += len(encoded)
        queues.add(queue)
    late = add_announcements(pipe, sorted(queues))
    if count:
        with translate_errors():
            pipe.execute()
        announce(late)
    return count


def _runs_by_queue(jobs: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """``(queue, [encoded payload, ...])`` for each run of consecutive jobs on one queue."""
    runs: list[tuple[str, list[str]]] = []
    run: list[str] = []
    for queue, encoded in jobs:
        if not runs or queue != runs[-1][0] or len(run) >= MAX_VALUES_PER_PUSH:
            run = []
            runs.append((queue, run))
        run.append(encoded)
    return runs


def add_push(pipe: Pipeline, queue: str, payload: Payload) -> list[str]:
    """Queue the commands of a push on ``pipe``, so a caller can join it to its own MULTI.

    Returns the queues to ``announce`` once the pipeline ran (on Redis Cluster, whose
    pipelines refuse PUBLISH), else [].
    """
    check_name(queue)
    pipe.sadd(keys.queues(), queue)
    pipe.rpush(keys.queue(queue), payload.encode())
    return add_announcements(pipe, [queue])


def add_announcements(pipe: Pipeline, queues: list[str]) -> list[str]:
    """PUBLISH each queue on the wake channel in ``pipe``; those a cluster pipeline cannot, returned."""
    if type(pipe) is not redis.client.Pipeline:
        return queues
    for queue in queues:
        pipe.publish(keys.wake_channel(), queue)
    return []


def announce(queues: list[str]) -> None:
    """Tell waiting workers that ``queues`` may hold jobs (a push made outside our scripts)."""
    if queues:
        client = get_redis()
        with translate_errors():
            for queue in queues:
                client.publish(keys.wake_channel(), queue)


def size(queue: str) -> int:
    with translate_errors():
        return int(get_redis().llen(keys.queue(queue)))


def peek_raw(queue: str, start: int = 0, count: int = 1) -> list[bytes | str]:
    """Raw payloads ``start`` .. ``start + count - 1``, without removing them."""
    if count <= 0:
        return []
    with translate_errors():
        return list(get_redis().lrange(keys.queue(queue), start, start + count - 1))


def peek(queue: str, start: int = 0, count: int = 1) -> list[Payload]:
    """Decoded payloads; a malformed one raises MalformedPayloadError."""
    return [decode(raw) for raw in peek_raw(queue, start, count)]


def sizes(queues: Iterable[str]) -> dict[str, int]:
    """Sizes of many queues in one round trip, in the order given."""
    names = list(queues)
    pipe = get_redis().pipeline(transaction=False)
    for name in names:
        pipe.llen(keys.queue(name))
    with translate_errors():
        counts = pipe.execute() if names else []
    return {name: int(count) for name, count in zip(names, counts, strict=True)}


def names() -> list[str]:
    """Every known queue, sorted (Ruby's ``Resque.queues``)."""
    with translate_errors():
        return sorted(to_text(member) for member in get_redis().smembers(keys.queues()))


def remove_queue(queue: str) -> None:
    """Forget a queue and drop its jobs."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.srem(keys.queues(), queue)
    pipe.delete(keys.queue(queue))
    with translate_errors():
        pipe.execute()


def clear(queue: str) -> int:
    """Drop every job of ``queue`` but keep its name listed; returns how many were dropped."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.llen(keys.queue(queue))
    pipe.delete(keys.queue(queue))
    with translate_errors():
        dropped, _ = pipe.execute()
    return int(dropped)


def remove_job(queue: str, raw: bytes | str) -> bool:
    """Remove one job whose stored bytes are exactly ``raw``; False if it is gone.

    Identical bytes are the same job, so the first copy is as good as any: one LREM,
    safe while workers pop from the head.
    """
    with translate_errors():
        return bool(get_redis().lrem(keys.queue(queue), 1, raw))  # type: ignore[arg-type]  # bytes are sent as they are


def remove_job_at(queue: str, index: int, length: int, digest: str, *, reach: int = 25) -> bool:
    """Remove the job a page showed at ``index`` (named by the length and sha1 of its
    bytes), looking up to ``reach`` positions towards the head, where workers move it;
    False if it is not there (taken, deleted, or moved further)."""
    start = max(0, index - reach)
    with translate_errors():
        found = get_redis().lrange(keys.queue(queue), start, index)
    for position in range(len(found) - 1, -1, -1):
        raw = found[position]
        if len(raw) == length and content_digest(raw) == digest:
            tombstone = "django_resque:removed:" + secrets.token_hex(16)
            # Removed only if still there: a worker may have taken it since.
            return bool(scripts.run(scripts.FAILED_REMOVE, [keys.queue(queue)], [start + position, raw, tombstone]))
    return False


def dequeue(queue: str, name: str, *args: object) -> int:
    """Remove jobs named ``name`` (and, if given, with exactly ``args``); returns how many.

    Payloads are compared decoded, so one pushed with other spacing, or carrying an id,
    still matches; arguments are compared as JSON values (``1``, ``1.0`` and ``true`` differ).
    """
    check_json_arguments(args, {})
    wanted = canonical(list(args)) if args else None
    client = get_redis()
    with translate_errors():
        raws = client.lrange(keys.queue(queue), 0, -1)
        matching = {raw for raw in raws if _matches(raw, name, wanted)}
        pipe = client.pipeline(transaction=True)
        for raw in matching:
            pipe.lrem(keys.queue(queue), 0, raw)  # type: ignore[arg-type]  # bytes are sent as they are
        return int(sum(pipe.execute())) if matching else 0


def _matches(raw: bytes | str, name: str, args: str | None) -> bool:
    """Whether ``raw`` is a job ``name`` with these canonical args (any args for None)."""
    try:
        payload = decode(raw)
    except MalformedPayloadError:
        return False
    return payload.name == name and (args is None or canonical(payload.args) == args)


# Control characters (newline, NUL...) and surrogates (invalid UTF-8 read from Redis).
_UNUSABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_name(queue: object, *, globs: bool = False) -> None:
    """Raise InvalidQueueNameError unless ``queue`` is a usable queue name.

    The one rule for enqueueing, workers' ``--queues`` (``globs``: ``*`` and ``?`` allowed)
    and admin pages: a non-empty string without surrounding spaces, ``,`` (it separates
    queue lists), control characters or invalid UTF-8; ``*`` and ``?`` glob queue lists.
    """
    if not isinstance(queue, str) or not queue or queue != queue.strip():
        raise InvalidQueueNameError(f"Queue name must be a non-empty string without surrounding spaces, got {queue!r}.")
    if "," in queue or (not globs and ("*" in queue or "?" in queue)):
        raise InvalidQueueNameError(
            f"Queue name {queue!r} may not contain ',', '*' or '?' (they separate and glob queue lists)."
        )
    if _UNUSABLE.search(queue):
        raise InvalidQueueNameError(f"Queue name {queue!r} may not contain control characters or invalid UTF-8.")


def is_valid_name(queue: object) -> bool:
    try:
        check_name(queue)
    except InvalidQueueNameError:
        return False
    return True


def matching_queues(patterns: list[str], known: list[str]) -> list[str]:
    """Expand ``*``/``?`` globs against known queue names, as the reserve script does.

    The one rule in Python; the RESERVE script (``scripts.py``) applies it in Lua, and a
    test holds the two to the same answers.
    """
    names: list[str] = []
    for pattern in patterns:
        found = sorted(name for name in known if _glob(pattern).match(name)) if _is_glob(pattern) else [pattern]
        names.extend(name for name in found if name not in names)
    return names


def watches(patterns: list[str], name: str) -> bool:
    """Whether a worker on ``patterns`` (names and globs) takes jobs from queue ``name``."""
    return any(_glob(pattern).match(name) if _is_glob(pattern) else pattern == name for pattern in patterns)


def priority(patterns: list[str], name: str) -> tuple[int, str]:
    """Where the reserve script looks at queue ``name`` for a worker on ``patterns``: sort by it.

    The first pattern that takes it, then, among the queues a glob takes, its name
    (the script sorts the queue set); a queue no pattern takes sorts last.
    """
    for index, pattern in enumerate(patterns):
        if _glob(pattern).match(name) if _is_glob(pattern) else pattern == name:
            return index, name if _is_glob(pattern) else ""
    return len(patterns), name


def _is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """A ``*``/``?`` glob as the reserve script reads it: anchored, ``?`` any one character."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z", re.DOTALL)
