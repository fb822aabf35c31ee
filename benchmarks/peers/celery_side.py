"""Celery with the Redis broker: ``task.delay()``, ``--pool=solo`` and ``--pool=prefork``."""

from __future__ import annotations

import sys
import time

from celery import Celery

from ..harness import Bounds, rate_loop, redis_url, stamp

QUEUE = "bench"
ARGS = (1, "two", {"three": 3})
MODES = {"solo": ["--pool=solo", "-c", "1"], "prefork-2": ["--pool=prefork", "-c", "2"]}

# ``celery -A`` imports this module and needs the app at import time.
app = Celery("bench", broker=redis_url())
app.conf.update(task_default_queue=QUEUE, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task
def noop(*args: object) -> None:
    pass


@app.task
def sleep_1ms(*args: object) -> None:
    time.sleep(0.001)


@app.task
def latency_stamp(sent: float) -> None:
    stamp(sent)


def setup(url: str) -> None:
    """Nothing to do: the app was built from BENCH_REDIS_URL at import."""


def enqueue(bounds: Bounds) -> dict[str, float]:
    def step() -> int:
        noop.delay(*ARGS)
        return 1

    return rate_loop(step, bounds)


def prefill(kind: str, count: int) -> None:
    task = {"noop": noop, "sleep_1ms": sleep_1ms}[kind]
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            task.apply_async(producer=producer)


def queue_key() -> str:
    return QUEUE


def worker_argv(mode: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "benchmarks.peers.celery_side",
        "worker",
        "-Q",
        QUEUE,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
        *MODES[mode],
    ]


def enqueue_stamp(sent: float) -> None:
    latency_stamp.delay(sent)


def commit_10(bounds: Bounds) -> dict[str, float]:
    """10 ``delay_on_commit`` calls in one transaction (Django set up for this measure only)."""
    import django
    from celery.contrib.django.task import DjangoTask
    from django.conf import settings
    from django.db import transaction

    settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    django.setup()
    task = app.task(base=DjangoTask, name="bench.noop_on_commit")(noop.run)

    def step() -> int:
        with transaction.atomic():
            for _ in range(10):
                task.delay_on_commit(*ARGS)
        return 10

    return rate_loop(step, bounds)
