"""Prometheus metrics, read from Redis at scrape time (prometheus_client's text format).

Every process sees the same figures because they live in Redis: queue sizes, the
processed and failed counters, the failed list, workers by state, and (when
``RESQUE['DURATION_METRICS']`` is on) a histogram of job durations that workers
write with one pipelined round trip per job.

prometheus-client is the optional ``django-resque[metrics]`` extra: recording durations
works without it; serving the figures says plainly which extra to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import conf, history, keys, stats
from .connection import get_redis, translate_errors
from .decoding import to_float, to_text
from .exceptions import ResqueConfigurationError

try:
    from prometheus_client import generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
    from prometheus_client.registry import CollectorRegistry

    HAS_PROMETHEUS = True
except ImportError:  # the optional [metrics] extra is not installed
    HAS_PROMETHEUS = False

MISSING_EXTRA = (
    "Prometheus metrics need prometheus-client, which django-resque installs only with its "
    "metrics extra: pip install 'django-resque[metrics]'."
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ResqueCollector:
    """A custom collector: nothing is cached in the process, every scrape reads Redis."""

    def collect(self) -> Iterator[Metric]:
        sizes, summary = stats.snapshot()
        queue_sizes = GaugeMetricFamily("resque_queue_jobs", "Jobs waiting in a queue.", labels=["queue"])
        for name, size in sizes.items():
            queue_sizes.add_metric([name], size)
        yield queue_sizes
        yield CounterMetricFamily(
            "resque_jobs_processed", "Jobs performed (failed ones included).", summary["processed"]
        )
        yield CounterMetricFamily("resque_jobs_failed", "Jobs that failed.", summary["failed_total"])
        workers = GaugeMetricFamily("resque_workers", "Registered workers by state.", labels=["state"])
        workers.add_metric(["working"], summary["working"])
        workers.add_metric(["idle"], summary["workers"] - summary["working"])
        yield workers
        yield from _duration_histograms()


def require_prometheus() -> None:
    """ResqueConfigurationError naming the extra to install when prometheus-client is missing."""
    if not HAS_PROMETHEUS:
        raise ResqueConfigurationError(MISSING_EXTRA)


def build_registry() -> CollectorRegistry:
    """A registry holding only our collector (not the process metrics of whoever serves it)."""
    require_prometheus()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ResqueCollector())
    return registry


def render() -> bytes:
    """The metrics in Prometheus text exposition format."""
    with translate_errors():
        return generate_latest(build_registry())


def record_duration(job_name: str, seconds: float, queue_name: str | None = None) -> None:
    """Add one job's duration to the shared histogram and to the history's summaries, the
    fleet's and ``queue_name``'s, in one pipeline (a no-op unless DURATION_METRICS)."""
    if not conf.get("DURATION_METRICS"):
        return
    pipe = get_redis().pipeline(transaction=False)
    key = keys.job_durations()
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            pipe.hincrby(key, f"{job_name}|{bound}", 1)
    pipe.hincrby(key, f"{job_name}|+Inf", 1)
    pipe.hincrbyfloat(key, f"{job_name}|sum", seconds)
    history.record_duration(pipe, job_name, seconds, queue_name)
    pipe.execute()


def on_job_finished(
    sender: Any, *, queue: str | None = None, payload: Any = None, duration: float | None = None, **kwargs: Any
) -> None:
    """Receiver for ``signals.job_finished``."""
    if duration is not None and sender is not None:
        record_duration(sender.name, duration, queue)


def _duration_histograms() -> Iterator[Metric]:
    raw = get_redis().hgetall(keys.job_durations())
    by_job: dict[str, dict[str, float]] = {}
    for field, value in raw.items():
        job_name, _, bound = to_text(field).rpartition("|")
        number = to_float(value)
        if number is not None:  # another program's value that is not a number is left out
            by_job.setdefault(job_name, {})[bound] = number
    histogram = HistogramMetricFamily("resque_job_duration_seconds", "Job run time.", labels=["job"])
    for job_name, values in sorted(by_job.items()):
        buckets = [(str(bound), values.get(str(bound), 0.0)) for bound in DURATION_BUCKETS]
        buckets.append(("+Inf", values.get("+Inf", 0.0)))
        histogram.add_metric([job_name], buckets, sum_value=values.get("sum", 0.0))
    yield histogram
