"""Hints for a queue name nothing uses: a worker started on ``mial``, or ``enqueue_to("mial")``.

Both are legal (a queue is made by its first job), so they are only logged: once when
a worker starts, and once per process and queue name for ``enqueue_to``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable

from . import conf, keys, registry
from .connection import get_redis, translate_errors
from .decoding import to_text

logger = logging.getLogger(__name__)

_hinted: set[str] = set()


def registered_queues() -> set[str]:
    """The queues of the registered jobs (their default queues), and DEFAULT_QUEUE."""
    return {conf.get("DEFAULT_QUEUE")} | {job.queue for job in registry.all_jobs().values()}


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'mail'?)`` for the closest known name, or ""."""
    close = difflib.get_close_matches(name, sorted(set(known) - {name}), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def hint_enqueue(queue: str) -> None:
    """``enqueue_to(queue)``: warn once when no registered job uses ``queue`` and it looks like a typo of one."""
    if queue in _hinted:
        return
    _hinted.add(queue)
    known = registered_queues()
    suggestion = did_you_mean(queue, known) if queue not in known else ""
    if suggestion:
        logger.warning(
            "Enqueued on queue %r, which no registered job uses%s; only a worker started on %r (or '*') runs it.",
            queue,
            suggestion,
            queue,
        )


def hint_worker(queues: list[str]) -> None:
    """A worker's start: warn for each named queue that never had a job and that no registered job uses."""
    named = [queue for queue in queues if not any(glob in queue for glob in "*?[")]
    if not named:
        return
    pipe = get_redis().pipeline(transaction=False)
    for queue in named:
        pipe.sismember(keys.queues(), queue)
    with translate_errors():
        seen = pipe.execute()
    known = registered_queues()
    unknown = [queue for queue, exists in zip(named, seen, strict=True) if not exists and queue not in known]
    if not unknown:
        return
    with translate_errors():
        known |= {to_text(name) for name in get_redis().smembers(keys.queues())}  # any bytes: not all ours
    for queue in unknown:
        logger.warning(
            "Queue %r has never had a job and no registered job uses it%s; working it anyway.",
            queue,
            did_you_mean(queue, known),
        )
