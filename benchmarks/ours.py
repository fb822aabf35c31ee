"""Our side: enqueueing through the public API, the worker's modes, and the fork floor."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from importlib import import_module

from .harness import Bounds, rate_loop

ARGS = (1, "two", {"three": 3})
BATCH = 1000
COMMIT_BATCH = 10  # jobs a view enqueues in its transaction (commit_10)
SETTINGS = "benchmarks.settings"

# Worker modes and the resque_work options that select them.
MODES: dict[str, list[str]] = {
    "fork": [],
    "fork-no-fork-server": ["--no-fork-server"],
    "fork-no-prefork": ["--no-prefork"],
    "jobs-per-fork-100": ["--jobs-per-fork", "100"],
    "no-fork": ["--no-fork"],
    "workers-2": ["--workers", "2"],
    "no-fork-v1": ["--no-fork", "-v", "1"],
}


def setup(url: str) -> None:
    """Configure Django for this process (and the workers it starts) on ``url``."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


@contextlib.contextmanager
def on_private_server() -> Iterator[None]:
    """Django set up on a private redis-server for the block (the stand-alone scripts)."""
    from django_resque.testing import RedisServer

    with RedisServer() as server:
        os.environ["BENCH_REDIS_URL"] = server.url
        setup(server.url)
        yield


def _jobs():  # imported after setup(): the jobs module needs configured settings
    from . import jobs

    return jobs


def enqueue_delay(bounds: Bounds) -> dict[str, float]:
    """``job.delay(*args)``, one call (one round trip) at a time."""
    delay = _jobs().noop.delay

    def step() -> int:
        delay(*ARGS)
        return 1

    return rate_loop(step, bounds)


def enqueue_many(bounds: Bounds) -> dict[str, float]:
    """``django_resque.enqueue_many`` in batches of BATCH."""
    from django_resque import enqueue_many as bulk

    calls = [(_jobs().noop, ARGS)] * BATCH
    return rate_loop(lambda: len(bulk(calls)), bounds)


def commit_10(bounds: Bounds) -> dict[str, float]:
    """A view's transaction that enqueues 10 jobs with ``job.on_commit``: jobs/s, pushed at commit."""
    from django.db import transaction

    on_commit = _jobs().noop.on_commit

    def step() -> int:
        with transaction.atomic():
            for _ in range(COMMIT_BATCH):
                on_commit(*ARGS)
        return COMMIT_BATCH

    return rate_loop(step, bounds)


def prefill(kind: str, count: int) -> None:
    """Pre-enqueue ``count`` jobs of ``kind`` (noop / sleep_1ms)."""
    from django_resque import enqueue_many as bulk

    target = {"noop": _jobs().noop, "sleep_1ms": _jobs().sleep_1ms}[kind]
    for start in range(0, count, BATCH):
        bulk([(target, ())] * min(BATCH, count - start))


def queue_key() -> str:
    from django_resque import keys

    return keys.queue(_jobs().QUEUE)


def worker_argv(mode: str) -> list[str]:
    """Warnings only, as every peer's worker here; a mode's own ``-v`` comes later and wins."""
    return [sys.executable, "-m", "django", "resque_work", "--queues", _jobs().QUEUE, "-v", "0", *MODES[mode]]


def enqueue_stamp(sent: float) -> None:
    _jobs().latency_stamp.delay(sent)


def fork_floor(bounds: Bounds) -> dict[str, float]:
    """Bare ``fork`` + ``_exit`` + ``waitpid`` per second, in this Django-set-up process."""
    _load_worker_modules()

    def step() -> int:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        return 1

    return rate_loop(step, bounds)


def _load_worker_modules() -> None:
    """Import what a real worker parent has loaded, so the fork copies the same memory."""
    _jobs()
    try:
        import_module("django_resque.management.commands.resque_work")
    except ModuleNotFoundError:  # before the worker landed: the package alone
        import_module("django_resque.worker")
