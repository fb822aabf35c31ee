"""Charts drawn by the server as inline SVG: geometry computed here, text left to the template.

Nothing here writes markup: a ``Chart`` holds numbers (polyline points, bar boxes, tick
positions) and plain-text labels, and ``charts.html`` renders it with autoescaping, so
a job or queue name read from Redis is text wherever it appears. Every chart carries
the numbers behind it as a table; no script and nothing from outside the page is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .. import conf, history, keys
from ..connection import get_redis, translate_errors
from ..decoding import to_text

WIDTH, HEIGHT = 600, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 8, 20  # the plot's margins, for the axis labels
BAR_HEIGHT = 18
BAR_LABEL_WIDTH = 200  # room for the job's name left of its bar


@dataclass(frozen=True)
class Line:
    label: str
    css: str
    paths: list[str]  # SVG polyline points, one per unbroken run (depth has gaps)

    @property
    def dots(self) -> list[list[str]]:
        """[x, y] of the runs of one point, which a polyline would not show."""
        return [path.split(",", 1) for path in self.paths if " " not in path]


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    width: float
    value: str

    @property
    def value_x(self) -> float:
        """Where the value is written: just past the bar's end."""
        return LEFT + BAR_LABEL_WIDTH + self.width + 4


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    lines: list[Line] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    height: int = HEIGHT
    note: str = ""

    @property
    def plot(self) -> dict[str, float]:
        return {"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": self.height - BOTTOM, "width": WIDTH}


def history_charts(span: history.Span, queue: str | None = None) -> dict[str, Any]:
    """Context for ``charts.html``: the span's charts, the span links' names, notes; and the data for JSON."""
    points = history.series(span, queue)
    slow = history.slowest(span, queue)
    charts = [throughput_chart(span, points), depth_chart(span, points), slowest_chart(slow, queue)]
    return {
        "charts": charts,
        "span": span,
        "spans": list(history.SPANS.values()),
        "history_notes": notes(),
        "history_data": as_json(span, points, slow),
    }


def as_json(span: history.Span, points: list[history.Point], slow: list[history.Slow]) -> dict[str, Any]:
    return {
        "span": span.name,
        "seconds_per_point": span.point_seconds,
        "points": [
            {"start": _iso(p.start), "processed": p.processed, "failed": p.failed, "depth": p.depth} for p in points
        ],
        "slowest": [
            {"job": s.job, "count": s.count, "average_seconds": s.average, "longest_seconds": s.longest} for s in slow
        ],
    }


def notes() -> list[str]:
    """What the charts cannot show: workers that write no history, durations not recorded."""
    found = []
    if not conf.get("HISTORY"):
        found.append("History is off (RESQUE['HISTORY'] = False): no worker of this project records it.")
    with translate_errors():
        worker_ids = [to_text(member) for member in get_redis().smembers(keys.workers())]
    silent = history.non_writers(worker_ids)
    if silent:
        found.append(
            "%d of %d workers write no history (Ruby's Resque workers, or django-resque workers older than "
            "the charts): the jobs they work are missing from these charts." % (len(silent), len(worker_ids))
        )
    return found


def throughput_chart(span: history.Span, points: list[history.Point]) -> Chart:
    per = _per(span)
    top = _nice_max(max((p.processed for p in points), default=0))
    return Chart(
        id="throughput",
        title="Jobs processed and failed %s" % per,
        columns=["From (UTC)", "Processed", "Failed"],
        rows=[[_iso(p.start), p.processed, p.failed] for p in points],
        lines=[
            Line("processed", "processed", [_polyline([p.processed for p in points], top)]),
            Line("failed", "failed", [_polyline([p.failed for p in points], top)]),
        ],
        x_ticks=_x_ticks(span, points),
        y_ticks=_y_ticks(top),
    )


def depth_chart(span: history.Span, points: list[history.Point]) -> Chart:
    top = _nice_max(max((p.depth or 0 for p in points), default=0))
    sampled = any(p.depth is not None for p in points)
    return Chart(
        id="depth",
        title="Jobs waiting (the most sampled %s)" % _per(span),
        columns=["From (UTC)", "Waiting"],
        rows=[[_iso(p.start), "" if p.depth is None else p.depth] for p in points],
        lines=[Line("waiting", "depth", _runs([p.depth for p in points], top))],
        x_ticks=_x_ticks(span, points),
        y_ticks=_y_ticks(top),
        note="" if sampled else "No depth sampled in this time: workers sample it at their heartbeat.",
    )


def slowest_chart(slow: list[history.Slow], queue: str | None = None) -> Chart:
    """The job classes with the longest average run, the fleet's or ``queue``'s."""
    longest = max((s.average for s in slow), default=0.0) or 1.0
    width = WIDTH - LEFT - RIGHT - BAR_LABEL_WIDTH - 60  # 60: room for the value past the bar
    bars = [
        Bar(s.job, TOP + i * (BAR_HEIGHT + 4), width * s.average / longest, "%.3f s" % s.average)
        for i, s in enumerate(slow)
    ]
    note = ""
    if not slow:
        note = "No durations recorded %sin this time" % ("" if queue is None else "for this queue ") + (
            "." if conf.get("DURATION_METRICS") else ": workers record them with RESQUE['DURATION_METRICS'] = True."
        )
    return Chart(
        id="slowest",
        title="Slowest job classes%s (average run)" % ("" if queue is None else " of this queue"),
        columns=["Job", "Runs", "Average (s)", "Longest (s)"],
        rows=[[s.job, s.count, "%.3f" % s.average, "%.3f" % s.longest] for s in slow],
        bars=bars,
        height=max(len(slow), 1) * (BAR_HEIGHT + 4) + TOP + BOTTOM,
        note=note,
    )


def _per(span: history.Span) -> str:
    seconds = span.point_seconds
    return "per minute" if seconds == 60 else "per hour" if seconds == 3600 else "per %d minutes" % (seconds // 60)


def _x(index: int, count: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (index / max(count - 1, 1))


def _y(value: float, top: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _polyline(values: list[int], top: int) -> str:
    return " ".join("%.1f,%.1f" % (_x(i, len(values)), _y(v, top)) for i, v in enumerate(values))


def _runs(values: list[int | None], top: int) -> list[str]:
    """Polylines through the sampled values, broken where none was sampled."""
    runs: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append("%.1f,%.1f" % (_x(i, len(values)), _y(value, top)))
    return [" ".join(run) for run in runs if run]


def _nice_max(value: int) -> int:
    """The top of the y axis: 1, 2 or 5 times a power of ten, at least ``value``."""
    top = 1
    while top < value:
        for factor in (2, 5 / 2, 2):
            top = int(top * factor)
            if top >= value:
                break
    return top


def _y_ticks(top: int) -> list[Tick]:
    return [Tick(_y(value, top), str(value)) for value in sorted({0, top // 2, top})]


def _x_ticks(span: history.Span, points: list[history.Point]) -> list[Tick]:
    if not points:
        return []
    form = "%a %H:%M" if span.name == "week" else "%H:%M"
    picks = sorted({0, len(points) // 2, len(points) - 1})
    return [Tick(_x(i, len(points)), _utc(points[i].start).strftime(form)) for i in picks]


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _iso(epoch: int) -> str:
    return _utc(epoch).strftime("%Y-%m-%dT%H:%MZ")
