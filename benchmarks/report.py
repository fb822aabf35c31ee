"""The results as one JSON document and as Markdown tables (results, targets, machine)."""

from __future__ import annotations

from typing import Any

from .cases import TARGETS, Target
from .runner import CaseResult
from .stats import Summary

# group -> (main metric, unit)
MAIN_METRIC = {"latency": ("p50", "ms p50"), "rss": ("growth_kib", "KiB growth")}
DEFAULT_METRIC = ("rate", "jobs/s")


def main_metric(group: str) -> tuple[str, str]:
    return MAIN_METRIC.get(group, DEFAULT_METRIC)


def build(results: list[CaseResult], context: dict[str, Any]) -> dict[str, Any]:
    """The whole result as plain data (written as JSON, rendered as Markdown)."""
    by_key = {result.case.key: result for result in results}
    return {
        **context,
        "cases": [_case_data(result, by_key) for result in results],
        "targets": [_target_data(target, by_key) for target in TARGETS if target.ours in by_key],
    }


def _case_data(result: CaseResult, by_key: dict[str, CaseResult]) -> dict[str, Any]:
    case = result.case
    metric, unit = main_metric(case.group)
    summary = result.summary
    return {
        "key": case.key,
        "group": case.group,
        "label": case.label,
        "side": case.side,
        "metric": metric,
        "unit": unit,
        "summary": {name: value.as_dict() for name, value in summary.items()},
        "ratio_ours_over_this": _ratio(by_key.get(case.versus), result, metric) if case.versus else None,
        "versus": case.versus or None,
        "runs": result.runs,
        "errors": result.errors,
    }


def _median(result: CaseResult | None, metric: str) -> float | None:
    if result is None:
        return None
    found: Summary | None = result.summary.get(metric)
    return found.median if found else None


def _ratio(ours: CaseResult | None, other: CaseResult, metric: str) -> float | None:
    mine, theirs = _median(ours, metric), _median(other, metric)
    if mine is None or not theirs:
        return None
    return mine / theirs


def _target_data(target: Target, by_key: dict[str, CaseResult]) -> dict[str, Any]:
    ours = _median(by_key.get(target.ours), target.metric)
    if target.other is None:
        value = ours
        met = None if ours is None else (ours <= target.factor if target.at_most else ours >= target.factor)
    else:
        other = by_key.get(target.other)
        value = _ratio(by_key.get(target.ours), other, target.metric) if other else None
        met = None if value is None else value >= target.factor
    return {"target": target.text, "ours": target.ours, "other": target.other, "value": value, "met": met}


def render(report: dict[str, Any]) -> str:
    return "\n\n".join([_render_cases(report["cases"]), _render_targets(report["targets"]), _render_context(report)])


def _render_cases(cases: list[dict[str, Any]]) -> str:
    lines = ["| group | case | median | min–max | more (medians) | ours / this |", "|---|---|---:|---:|---|---:|"]  # noqa: RUF001
    for case in cases:
        main = case["summary"].get(case["metric"])
        if main is None:
            lines.append(f"| {case['group']} | {case['label']} | failed | | {'; '.join(case['errors'])[:80]} | |")
            continue
        ratio = case["ratio_ours_over_this"]
        lines.append(
            f"| {case['group']} | {case['label']} | {_fmt(main['median'])} {case['unit']} | "
            f"{_fmt(main['min'])}–{_fmt(main['max'])} |"  # noqa: RUF001
            f" {_more(case)} | {'' if ratio is None else f'{ratio:.2f}x'} |"
        )
    return "\n".join(lines)


def _more(case: dict[str, Any]) -> str:
    summary = case["summary"]
    if case["group"] == "latency":
        return " / ".join(f"{name} {_fmt(summary[name]['median'])} ms" for name in ("p95", "p99") if name in summary)
    if case["group"] == "rss":
        first, last = summary["rss_kib_first"]["median"], summary["rss_kib_last"]["median"]
        jobs_first, jobs_last = summary["jobs_first"]["median"], summary["jobs_last"]["median"]
        return f"{first / 1024:.1f} MiB after {jobs_first:,.0f} jobs, {last / 1024:.1f} MiB after {jobs_last:,.0f}"
    runs = summary.get("count")
    return f"{len(case['runs'])} runs, ~{_fmt(runs['median'])} jobs each" if runs else ""


def _render_targets(targets: list[dict[str, Any]]) -> str:
    lines = ["| target (issue 7) | measured | met |", "|---|---:|---|"]
    for target in targets:
        value, met = target["value"], target["met"]
        shown = "n/a" if value is None else (_fmt(value) if target["other"] is None else f"{value:.2f}x")
        lines.append(f"| {target['target']} | {shown} | {'n/a' if met is None else ('yes' if met else 'NO')} |")
    return "\n".join(lines)


def _render_context(report: dict[str, Any]) -> str:
    machine, versions = report["machine"], report["versions"]
    lines = [
        f"Machine: {machine['nproc']} cores ({machine['cpu_model']}), {machine['ram_gib']} GiB RAM, "
        f"Linux {machine['kernel']}, Python {machine['python']}, load average at start "
        f"{' '.join(str(x) for x in machine['load_average'])}; redis-server {versions['redis-server']}.",
        "Ours: " + ", ".join(f"{name} {version}" for name, version in versions["ours"].items()) + ".",
    ]
    if versions.get("peers"):
        lines.append("Peers: " + ", ".join(f"{name} {version}" for name, version in versions["peers"].items()) + ".")
    lines.append(f"Mode: {report['mode']}, {report['runs']} run(s) per case, {report['elapsed_seconds']:.0f} s in all.")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"
