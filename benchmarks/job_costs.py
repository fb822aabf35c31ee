"""CPU time and page faults per job of a worker and of its job processes, per mode.

    .venv/bin/python benchmarks/job_costs.py [JOBS] [MODE,...]   (default 600 fork,no-prefork,no-fork)

Starts a private redis-server, pre-enqueues JOBS no-op jobs and drains them with one
``--burst`` worker run in this process (Django set up once, as ``resque_work`` does),
then prints, per job: jobs/s, the worker's user and system CPU and minor page faults,
and the same for its job processes (``RUSAGE_CHILDREN``, which also holds the fork
server's own time once the worker has reaped it at exit). On a virtual machine a
page fault costs microseconds, so the faults say where a fork-mode job's time goes:
copy-on-write copies of pages the worker or its job process writes after a fork.
Wall rates swing with the machine's load; CPU and faults per job are steadier.
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODES = {
    "fork": {},
    "no-fork-server": {"fork_server": False},
    "no-prefork": {"prefork": False},
    "no-fork": {"fork": False},
    "jobs-per-fork-100": {"jobs_per_fork": 100},
}


def drain(count: int, mode: str) -> str:
    """Run ``count`` no-op jobs in ``mode``; one line of figures per job."""
    from benchmarks import jobs
    from django_resque import enqueue_many
    from django_resque.connection import get_redis
    from django_resque.worker.worker import Worker, WorkerOptions

    get_redis().flushdb()
    enqueue_many([(jobs.noop, ())] * count)
    worker = Worker(WorkerOptions(queues=[jobs.QUEUE], burst=True, **MODES[mode]))  # type: ignore[arg-type]
    own, children, started = _usage(resource.RUSAGE_SELF), _usage(resource.RUSAGE_CHILDREN), time.perf_counter()
    worker.work()
    elapsed = time.perf_counter() - started
    own_cost = _per_job(own, _usage(resource.RUSAGE_SELF), count)
    child_cost = _per_job(children, _usage(resource.RUSAGE_CHILDREN), count)
    return f"{mode:18s} {count / elapsed:7.0f} jobs/s | worker: {own_cost} | job processes: {child_cost}"


def _usage(who: int) -> tuple[float, float, int]:
    usage = resource.getrusage(who)
    return usage.ru_utime, usage.ru_stime, usage.ru_minflt


def _per_job(before: tuple[float, float, int], after: tuple[float, float, int], count: int) -> str:
    user, system, faults = ((b - a) / count for a, b in zip(before, after, strict=True))
    return f"{user * 1e3:.2f} ms user, {system * 1e3:.2f} ms system, {faults:.0f} faults"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    modes = sys.argv[2].split(",") if len(sys.argv) > 2 else ["fork", "no-prefork", "no-fork"]
    from benchmarks import ours

    with ours.on_private_server():
        logging.getLogger("django_resque").setLevel(logging.WARNING)
        for mode in modes:
            print(drain(count, mode), flush=True)


if __name__ == "__main__":
    main()
