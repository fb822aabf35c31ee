"""The benchmark harness keeps working: a tiny run of our own side, and its arithmetic."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import cases, probe, report
from benchmarks.runner import CaseResult
from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[2]


def test_a_quick_run_of_our_enqueue_side_prints_the_table_and_writes_json(tmp_path):
    if not shutil.which("redis-server"):
        missing("no redis-server on PATH (Debian: apt-get install redis-server)")
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "run", "--quick", "--no-peers", "--only", "enqueue", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "| enqueue | ours: .delay() |" in done.stdout
    assert "Machine: " in done.stdout
    document = json.loads(out.read_text())
    by_key = {case["key"]: case for case in document["cases"]}
    assert set(by_key) == {"ours-delay", "ours-enqueue-many", "redis-rpush", "redis-rpush-pipelined"}
    assert all(case["summary"]["rate"]["median"] > 0 for case in by_key.values())
    assert by_key["redis-rpush"]["ratio_ours_over_this"] > 0
    assert document["machine"]["nproc"] >= 1
    assert document["complete"] is True


def test_cases_run_in_rounds_and_results_are_handed_over_after_every_run(monkeypatch):
    import fakeredis

    from benchmarks import runner

    order: list[str] = []

    def run_once(case, url, python, result):
        order.append(case.key)
        result.runs.append({"rate": 1.0})

    monkeypatch.setattr(runner.redis.Redis, "from_url", lambda url: fakeredis.FakeRedis())
    monkeypatch.setattr(runner, "_run_once", run_once)
    chosen = cases.enqueue_cases(quick=True)[:3]
    seen: list[list[int]] = []
    results = runner.run_cases(
        chosen,
        "redis://unused",
        2,
        lambda case: sys.executable,
        lambda message: None,
        lambda results: seen.append([len(result.runs) for result in results]),
    )
    keys = [case.key for case in chosen]
    assert order == keys + keys  # round by round: a ratio compares runs taken close together
    assert seen == [[1, 0, 0], [1, 1, 0], [1, 1, 1], [2, 1, 1], [2, 2, 1], [2, 2, 2]]
    assert [len(result.runs) for result in results] == [2, 2, 2]


def test_percentile_is_nearest_rank():
    ordered = [float(n) for n in range(1, 101)]
    assert [probe.percentile(ordered, p) for p in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert probe.percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError):
        probe.percentile([], 50)


def test_targets_compare_ratios_and_bounds():
    def result(key: str, **metrics: float) -> CaseResult:
        case = next(case for case in cases.all_cases(quick=True) if case.key == key)
        return CaseResult(case, runs=[metrics])

    document = report.build(
        [
            result("ours-delay", rate=5000.0),
            result("rq-enqueue", rate=1000.0),
            result("ours-no-fork-latency", p50=2.0, p95=3.0, p99=4.0),
        ],
        {},
    )
    targets = {target["target"]: target for target in document["targets"]}
    assert targets[".delay() >= 4x RQ Queue.enqueue"]["value"] == 5.0
    assert targets[".delay() >= 4x RQ Queue.enqueue"]["met"] is True
    assert targets["idle latency p50, no-fork <= 1.5 ms"]["met"] is False
    assert targets[".delay() >= Huey enqueue"]["met"] is None  # Huey not measured


def test_every_case_is_bounded_and_peers_run_only_in_their_virtualenv():
    for case in cases.all_cases(quick=False):
        assert case.count > 0 and 0 < case.seconds <= (cases.RSS_SECONDS if case.measure == "rss" else 60), case
        assert case.is_peer == (case.side in ("rq", "django-rq", "celery", "huey"))
        assert case.side in probe.SIDES


def test_job_costs_drains_the_jobs_and_reports_per_job_figures(real_redis):
    from benchmarks import job_costs

    line = job_costs.drain(5, "no-fork")
    assert line.startswith("no-fork") and "faults" in line
    assert real_redis.get("resque:stat:processed") == b"5"


def test_enqueue_costs_compares_delay_with_a_bare_rpush(real_redis):
    from benchmarks import enqueue_costs

    delay, rpush = enqueue_costs.compare(calls=20, rounds=2)
    assert delay.startswith(".delay()") and "(evalsha)" in delay and "client CPU" in delay
    assert rpush.startswith("client.rpush") and "(rpush)" in rpush
    assert real_redis.llen("resque:queue:bench") == 0  # each round cleans up after itself


def test_pool_memory_reads_the_pss_of_a_session():
    import os

    from benchmarks import pool_memory

    assert os.getpid() in pool_memory.session_pids({os.getsid(0)})
    assert pool_memory.pss_kib(os.getpid()) > 0
