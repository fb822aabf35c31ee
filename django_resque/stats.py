"""Counters (processed, failed) and the ``info`` summary, as Ruby's ``Resque.info``.

``failed`` means what it means to Ruby (``Resque.info[:failed]``, resque-web, stats.txt):
how many failures the failure backend holds now, which clears, retries and removals
change. The ``stat:failed`` counter (jobs a worker saw fail, ever) is ``failed_total``.
"""

from __future__ import annotations

import logging
from typing import Any

from . import failure, keys
from . import queue as queue_api
from .connection import get_redis, translate_errors
from .decoding import exact_text, to_int, to_wire
from .failure.redis import RedisFailure

logger = logging.getLogger(__name__)


def get(name: str, worker_id: str | None = None) -> int:
    """A counter's value (``processed`` or ``failed``), 0 when unset."""
    with translate_errors():
        value = get_redis().get(keys.stat(name, worker_id))
    return to_int(value) or 0


def info() -> dict[str, Any]:
    """Pending, processed, failed (held now), failed_total (ever), queues, workers, working."""
    return snapshot()[1]


def snapshot() -> tuple[dict[str, int], dict[str, Any]]:
    """Each queue's size (sorted by name) and the ``info`` summary, from one read.

    With the default backend the failed list's length comes in the same pipeline;
    another backend is asked for its ``count()``.
    """
    client = get_redis()
    queue_names = queue_api.names()
    backend = failure.backend()
    listed = type(backend) is RedisFailure
    pipe = client.pipeline(transaction=False)
    for name in queue_names:
        pipe.llen(keys.queue(name))
    pipe.get(keys.stat("processed"))
    pipe.get(keys.stat("failed"))
    pipe.smembers(keys.workers())
    if listed:
        pipe.llen(keys.failed())
    with translate_errors():
        replies = pipe.execute()
        sizes, (processed, failed_total, worker_ids) = replies[: len(queue_names)], replies[len(queue_names) :][:3]
        held = replies[-1] if listed else backend.count()
        working = _count_working(client, worker_ids)
    summary = {
        "pending": sum(sizes),
        "processed": _counter("processed", processed),
        "failed": int(held),
        "failed_total": _counter("failed", failed_total),
        "queues": len(queue_names),
        "workers": len(worker_ids),
        "working": working,
    }
    return dict(zip(queue_names, (int(size) for size in sizes), strict=True)), summary


def _counter(name: str, value: bytes | None) -> int:
    """A global counter; one that is not an integer reads as 0, with a warning naming its key."""
    number = to_int(value, None) if value is not None else 0
    if number is None:
        logger.warning(
            "%s holds %r, not a counter: jobs are not counted there until it is fixed", keys.stat(name), value
        )
        return 0
    return number


def _count_working(client: Any, worker_ids: set[bytes]) -> int:
    if not worker_ids:
        return 0
    pipe = client.pipeline(transaction=False)
    for worker_id in worker_ids:
        pipe.exists(to_wire(keys.worker(exact_text(worker_id))))
    return sum(pipe.execute())
