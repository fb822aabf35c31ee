"""Huey: calling a ``@huey.task`` enqueues it; the consumer with thread workers runs it."""

from __future__ import annotations

import sys
import time

from huey import RedisHuey

from ..harness import Bounds, rate_loop, redis_url, stamp

ARGS = (1, "two", {"three": 3})
MODES = {"thread": ["-k", "thread", "-w", "1"]}

# huey_consumer imports this module and needs the instance at import time.
huey = RedisHuey("bench", url=redis_url())


@huey.task()
def noop(*args: object) -> None:
    pass


@huey.task()
def sleep_1ms(*args: object) -> None:
    time.sleep(0.001)


@huey.task()
def latency_stamp(sent: float) -> None:
    stamp(sent)


def setup(url: str) -> None:
    """Nothing to do: the instance was built from BENCH_REDIS_URL at import."""


def enqueue(bounds: Bounds) -> dict[str, float]:
    def step() -> int:
        noop(*ARGS)
        return 1

    return rate_loop(step, bounds)


def prefill(kind: str, count: int) -> None:
    task = {"noop": noop, "sleep_1ms": sleep_1ms}[kind]
    for _ in range(count):
        task()


def queue_key() -> str:
    return huey.storage.queue_key


def worker_argv(mode: str) -> list[str]:
    return [sys.executable, "-m", "huey.bin.huey_consumer", "benchmarks.peers.huey_side.huey", "-q", *MODES[mode]]


def enqueue_stamp(sent: float) -> None:
    latency_stamp(sent)
