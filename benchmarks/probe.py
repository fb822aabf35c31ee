"""One measurement in a fresh process: ``python -m benchmarks.probe SIDE MEASURE [options]``.

Run by the runner (in our virtualenv for ``ours``/``redis``, in the peers' one for the
others) with BENCH_REDIS_URL set; prints one JSON line of metrics.
"""

from __future__ import annotations

import argparse
import math
from importlib import import_module
from types import ModuleType

import redis

from .harness import (
    Bounds,
    drain_rate,
    emit,
    latency_samples,
    redis_url,
    rss_after,
    start_process,
    stop_process,
    wait_for,
    warm_up_latency,
)

SIDES = {
    "ours": "benchmarks.ours",
    "redis": "benchmarks.raw_redis",
    "rq": "benchmarks.peers.rq_side",
    "django-rq": "benchmarks.peers.django_rq_side",
    "celery": "benchmarks.peers.celery_side",
    "huey": "benchmarks.peers.huey_side",
}
# Measures that are a function of the side module taking Bounds and returning a rate.
RATE_MEASURES = ("enqueue", "enqueue_delay", "enqueue_many", "rpush", "rpush_pipelined", "fork_floor", "commit_10")


def main(argv: list[str] | None = None) -> None:
    options = _parser().parse_args(argv)
    side = import_module(SIDES[options.side])
    side.setup(redis_url())
    bounds = Bounds(options.count, options.seconds)
    if options.measure in RATE_MEASURES:
        emit(**getattr(side, options.measure)(bounds))
    elif options.measure == "process":
        emit(**measure_processing(side, options.mode, options.kind, bounds))
    elif options.measure == "latency":
        emit(**measure_latency(side, options.mode, bounds))
    else:
        emit(**measure_rss(side, options.mode, options.checkpoints, options.seconds))


def measure_processing(side: ModuleType, mode: str, kind: str, bounds: Bounds) -> dict[str, float]:
    """Jobs/s of one worker on ``bounds.count`` pre-enqueued jobs."""
    client = redis.Redis.from_url(redis_url())
    side.prefill(kind, bounds.count)
    key = side.queue_key()
    worker = start_process(side.worker_argv(mode))
    try:
        return drain_rate(client, key, client.llen(key), worker, bounds)
    finally:
        stop_process(worker)


def measure_latency(side: ModuleType, mode: str, bounds: Bounds) -> dict[str, float]:
    """Enqueue->start percentiles in ms over ``bounds.count`` jobs on an idle worker."""
    client = redis.Redis.from_url(redis_url())
    worker = start_process(side.worker_argv(mode))
    try:
        warm_up_latency(client, side.enqueue_stamp)
        found = sorted(latency_samples(client, side.enqueue_stamp, bounds.count, bounds.seconds))
    finally:
        stop_process(worker)
    return {f"p{p}": 1000 * percentile(found, p) for p in (50, 95, 99)} | {"count": len(found)}


def measure_rss(side: ModuleType, mode: str, checkpoints: list[int], seconds: float) -> dict[str, float]:
    """Worker parent RSS (KiB) once each checkpoint's count of no-op jobs is done (time-bounded)."""
    client = redis.Redis.from_url(redis_url())
    bounds = Bounds(max(checkpoints), seconds)
    side.prefill("noop", bounds.count)
    key = side.queue_key()
    worker = start_process(side.worker_argv(mode))
    try:
        wait_for(lambda: client.llen(key) < bounds.count, f"the worker to start on {key}")
        found = rss_after(client, key, worker, checkpoints, bounds)
    finally:
        stop_process(worker)
    counts = sorted(int(n) for n in found)
    first, last = found[str(counts[0])], found[str(counts[-1])]
    return {"rss_kib_first": first, "rss_kib_last": last, "jobs_first": counts[0], "jobs_last": counts[-1]} | {
        "growth_kib": last - first
    }


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ordered, non-empty list."""
    if not ordered:
        raise ValueError("no samples")
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    parser.add_argument("side", choices=sorted(SIDES))
    parser.add_argument("measure", choices=[*RATE_MEASURES, "process", "latency", "rss"])
    parser.add_argument("--mode", default="")
    parser.add_argument("--kind", default="noop", choices=["noop", "sleep_1ms"])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--checkpoints", type=lambda text: [int(n) for n in text.split(",")], default=[1000, 20000])
    return parser


if __name__ == "__main__":
    main()
