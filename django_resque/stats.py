"""Counters (processed, failed) and the ``info`` summary, as Ruby's ``Resque.info``."""

from __future__ import annotations

import logging
from typing import Any

from . import keys
from . import queue as queue_api
from .connection import get_redis, translate_errors
from .decoding import exact_text, to_int, to_wire

logger = logging.getLogger(__name__)


def get(name: str, worker_id: str | None = None) -> int:
    """A counter's value (``processed`` or ``failed``), 0 when unset."""
    with translate_errors():
        value = get_redis().get(keys.stat(name, worker_id))
    return to_int(value) or 0


def info() -> dict[str, Any]:
    """Pending, processed, failed, queues, workers and working, in one round trip."""
    return snapshot()[1]


def snapshot() -> tuple[dict[str, int], dict[str, Any]]:
    """Each queue's size (sorted by name) and the ``info`` summary, from one read."""
    client = get_redis()
    queue_names = queue_api.names()
    pipe = client.pipeline(transaction=False)
    for name in queue_names:
        pipe.llen(keys.queue(name))
    pipe.get(keys.stat("processed"))
    pipe.get(keys.stat("failed"))
    pipe.smembers(keys.workers())
    with translate_errors():
        *sizes, processed, failed, worker_ids = pipe.execute()
        working = _count_working(client, worker_ids)
    summary = {
        "pending": sum(sizes),
        "processed": _counter("processed", processed),
        "failed": _counter("failed", failed),
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
