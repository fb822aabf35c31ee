"""Summaries of repeated runs: median with min and max, per metric."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    runs: int

    def as_dict(self) -> dict[str, float]:
        return {"median": self.median, "min": self.low, "max": self.high, "runs": self.runs}


def summarize(values: list[float]) -> Summary:
    if not values:
        raise ValueError("no values to summarize")
    return Summary(statistics.median(values), min(values), max(values), len(values))


def summarize_runs(runs: list[dict[str, float]]) -> dict[str, Summary]:
    """Metric name -> Summary over the runs that reported it."""
    names = sorted({name for run in runs for name in run})
    return {name: summarize([run[name] for run in runs if name in run]) for name in names}
