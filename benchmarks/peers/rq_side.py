"""RQ: ``Queue.enqueue``, ``Queue.enqueue_many``, the forking ``Worker`` and ``SimpleWorker``."""

from __future__ import annotations

import sys
import time
from functools import cache

import redis
from rq import Queue

from ..harness import Bounds, rate_loop, redis_url, stamp

QUEUE = "bench"
ARGS = (1, "two", {"three": 3})
BATCH = 1000
MODES = {"fork": "rq.worker.Worker", "simple": "rq.worker.SimpleWorker"}


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(redis_url())


def noop(*args: object) -> None:
    pass


def sleep_1ms(*args: object) -> None:
    time.sleep(0.001)


def latency_stamp(sent: float) -> None:
    stamp(sent)


def setup(url: str) -> None:
    """Nothing to do: connections are made from BENCH_REDIS_URL when first needed."""


def _queue() -> Queue:
    return Queue(QUEUE, connection=_client())


def enqueue(bounds: Bounds) -> dict[str, float]:
    put = _queue().enqueue

    def step() -> int:
        put(noop, *ARGS)
        return 1

    return rate_loop(step, bounds)


def enqueue_many(bounds: Bounds) -> dict[str, float]:
    queue = _queue()

    def step() -> int:
        return len(queue.enqueue_many([Queue.prepare_data(noop, ARGS) for _ in range(BATCH)]))

    return rate_loop(step, bounds)


def prefill(kind: str, count: int) -> None:
    queue, func = _queue(), {"noop": noop, "sleep_1ms": sleep_1ms}[kind]
    for start in range(0, count, BATCH):
        queue.enqueue_many([Queue.prepare_data(func) for _ in range(min(BATCH, count - start))])


def queue_key() -> str:
    return _queue().key


def worker_argv(mode: str) -> list[str]:
    url = redis_url()
    return [sys.executable, "-m", "rq.cli", "worker", "-q", "-u", url, "-w", MODES[mode], QUEUE]


def enqueue_stamp(sent: float) -> None:
    _queue().enqueue(latency_stamp, sent)
