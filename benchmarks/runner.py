"""Run every case ``runs`` times, each run a fresh probe process on an emptied Redis."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from .cases import Case
from .stats import Summary, summarize_runs

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
STARTUP_ALLOWANCE = 180.0  # seconds a probe may take beyond its own bound (imports, prefill, worker start)


@dataclass
class CaseResult:
    case: Case
    runs: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Summary]:
        return summarize_runs(self.runs)


def run_cases(
    cases: list[Case],
    url: str,
    runs: int,
    python_for: Callable[[Case], str],
    progress: Callable[[str], None],
    measured: Callable[[list[CaseResult]], None] = lambda results: None,
) -> list[CaseResult]:
    """Every case ``runs`` times, in rounds; ``measured(results)`` after each run, so a stopped run keeps them.

    Round by round (each case once, then each case again), not case by case: this
    machine's speed drifts over minutes, and a ratio should compare runs taken close
    together, not one case's runs against another's taken minutes later.
    """
    client = redis.Redis.from_url(url)
    results = [CaseResult(case) for case in cases]
    for round_number in range(1, runs + 1):
        for number, result in enumerate(results, 1):
            case = result.case
            if case.measure == "rss" and round_number > 1:
                continue  # one run: it is bounded by jobs, not repeated for a median
            progress(f"[round {round_number}/{runs}, {number}/{len(cases)}] {case.group}: {case.label}")
            client.flushall()
            _run_once(case, url, python_for(case), result)
            measured(results)
    return results


def _run_once(case: Case, url: str, python: str, result: CaseResult) -> None:
    argv = [python, "-m", "benchmarks.probe", *case.probe_args()]
    env = {**os.environ, "BENCH_REDIS_URL": url, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=case.seconds + STARTUP_ALLOWANCE
        )
    except subprocess.TimeoutExpired:
        result.errors.append(f"timed out after {case.seconds + STARTUP_ALLOWANCE:.0f}s")
        return
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        logger.warning("%s failed (exit %s): %s", case.key, done.returncode, tail)
        result.errors.append(f"exit {done.returncode}: {tail}")
        return
    result.runs.append(json.loads(lines[-1]))
