"""Our benchmark jobs (autodiscovered: ``benchmarks`` is an installed app in its settings)."""

from __future__ import annotations

import time

from django_resque import job

from .harness import stamp

QUEUE = "bench"


@job(queue=QUEUE, name="bench.noop")
def noop(*args: object) -> None:
    """Does nothing: measures the worker, not the job."""


@job(queue=QUEUE, name="bench.sleep_1ms")
def sleep_1ms(*args: object) -> None:
    time.sleep(0.001)


@job(queue=QUEUE, name="bench.stamp")
def latency_stamp(sent: float) -> None:
    """Records enqueue->start latency; see harness.latency_samples."""
    stamp(sent)
