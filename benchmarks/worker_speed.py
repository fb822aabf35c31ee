"""Measure the worker: fork floor, throughput per mode, idle latency. Prints a table.

    .venv/bin/python benchmarks/worker_speed.py [--jobs 2000] [--latency-samples 50]

Uses a private redis-server and the test project's jobs (tests/support/jobs.py).
Numbers depend on the machine and its load; they are for comparison, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fork_floor(count: int) -> float:
    """Seconds per bare fork + _exit + waitpid in this (Django-loaded) process."""
    started = time.perf_counter()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return (time.perf_counter() - started) / count


def throughput(jobs_count: int, **options: object) -> float:
    """Jobs per second of one in-process worker draining ``jobs_count`` no-op jobs."""
    from django_resque.connection import get_redis
    from django_resque.worker.worker import Worker, WorkerOptions
    from tests.support import jobs

    get_redis().flushdb()
    jobs.noop.delay_many([()] * jobs_count)
    worker = Worker(WorkerOptions(queues=["test"], burst=True, **options))  # type: ignore[arg-type]
    started = time.perf_counter()
    worker.work()
    elapsed = time.perf_counter() - started
    assert int(get_redis().get("resque:stat:processed")) == jobs_count
    return jobs_count / elapsed


def idle_latency(url: str, samples: int, *flags: str) -> list[float]:
    """Enqueue-to-start latency (s) of jobs sent to an idle worker process."""
    from django_resque.connection import get_redis
    from django_resque.testing import environment_with
    from tests.support import jobs

    client = get_redis()
    client.flushdb()
    env = environment_with(url, DJANGO_SETTINGS_MODULE="tests.settings")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "resque_work", "-q", "test", "-v", "0", *flags], cwd=ROOT, env=env
    )
    notes = []
    try:
        while not client.scard("resque:workers"):
            time.sleep(0.05)
        for _ in range(samples):
            time.sleep(0.05)  # let the worker go back to waiting
            jobs.stamp.delay(time.time())
            note = client.blpop(jobs.DONE_KEY, timeout=30)
            assert note, "job not run within 30 s"
            notes.append(json.loads(note[1]))
    finally:
        worker.terminate()
        worker.wait()
    return [n["started"] - n["sent"] for n in notes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=50)
    args = parser.parse_args()
    from django_resque.testing import RedisServer

    with RedisServer() as server:
        os.environ.update(REDIS_URL=server.url, DJANGO_SETTINGS_MODULE="tests.settings")
        import django

        django.setup()
        import logging

        logging.getLogger("django_resque").setLevel(logging.WARNING)
        floor = fork_floor(500)
        print(f"bare fork+_exit+waitpid:   {1 / floor:8.0f} /s  ({floor * 1e3:.2f} ms each)")
        fork = throughput(args.jobs)
        print(f"fork per job:              {fork:8.0f} jobs/s  ({fork * floor:.0%} of the fork floor)")
        print(f"--jobs-per-fork 100:       {throughput(args.jobs * 5, jobs_per_fork=100):8.0f} jobs/s")
        print(f"--no-fork:                 {throughput(args.jobs * 5, fork=False):8.0f} jobs/s")
        for label, flags in (("fork", ()), ("no-fork", ("--no-fork",))):
            lat = sorted(idle_latency(server.url, args.latency_samples, *flags))
            p50, p95 = statistics.median(lat), lat[int(len(lat) * 0.95) - 1]
            print(f"idle latency {label:8s}:     p50 {p50 * 1e3:6.2f} ms   p95 {p95 * 1e3:6.2f} ms")


if __name__ == "__main__":
    main()
