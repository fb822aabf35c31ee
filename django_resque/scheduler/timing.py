"""When a recurring schedule runs: cron lines (croniter, in a time zone) and ``every``.

A run is identified by its epoch second, so every scheduler computes the same runs.

DST, for a cron line with a fixed hour (e.g. ``30 2 * * *`` in Europe/Berlin):
- spring forward (02:00 -> 03:00): 02:30 does not exist; the job runs once, at 03:00,
  the first instant after the gap (as Vixie cron does).
- fall back (03:00 -> 02:00): 02:30 happens twice; the job runs once, at the first
  02:30 (summer time). The repeated 02:30 is not a run.
Lines with ``*`` or a step in the hour field (``*/20 * * * *``) follow real time,
so they also run in the repeated hour.

``every`` runs at multiples of its interval counted from the Unix epoch (UTC), so
``every: "10m"`` runs at :00, :10, ... and all schedulers agree without coordinating.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from croniter import croniter

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_EVERY = 100 * 365 * 86400  # seconds: an interval past a century is a typo (or hostile)
_DURATION = re.compile(r"(\d+)([smhdw])")


@dataclass(frozen=True)
class Cron:
    """A cron line evaluated in a time zone."""

    line: str
    tz: str = "UTC"

    def next_after(self, epoch: float) -> int:
        """The first run strictly after ``epoch``."""
        it = croniter(self.line, self._local(epoch))
        while True:
            moment = it.get_next(dt.datetime)
            if not self._is_repeated_wall_time(moment):
                return int(moment.timestamp())

    def latest_at_or_before(self, epoch: float) -> int | None:
        """The last run at or before ``epoch``."""
        it = croniter(self.line, self._local(int(epoch) + 1))
        for _ in range(4):
            moment = it.get_prev(dt.datetime)
            if not self._is_repeated_wall_time(moment):
                return int(moment.timestamp())
        return None

    def describe(self) -> str:
        return f"cron {self.line!r} ({self.tz})"

    def _local(self, epoch: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(epoch, ZoneInfo(self.tz))

    def _is_repeated_wall_time(self, moment: dt.datetime) -> bool:
        """The second pass of a fall-back hour, for lines with fixed hours."""
        if moment.fold != 1 or not self._fixed_hours():
            return False
        first = moment.replace(fold=0)
        return first.utcoffset() != moment.utcoffset()

    def _fixed_hours(self) -> bool:
        hour = self.line.split()[1]
        return "*" not in hour and "/" not in hour


@dataclass(frozen=True)
class Every:
    """A fixed interval in seconds, aligned on the Unix epoch."""

    seconds: int

    def next_after(self, epoch: float) -> int:
        return (int(epoch) // self.seconds + 1) * self.seconds

    def latest_at_or_before(self, epoch: float) -> int | None:
        return int(epoch) // self.seconds * self.seconds

    def describe(self) -> str:
        return f"every {self.seconds}s"


Rule = Cron | Every


def parse_duration(value: object) -> int:
    """``30``, ``"30s"``, ``"5m"``, ``"1h30m"``, ``"1d"`` -> seconds; ValueError otherwise."""
    text = value.replace(" ", "") if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif text and text.isdigit():
        seconds = int(text)
    elif text and "".join(n + u for n, u in _DURATION.findall(text)) == text:
        seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(text))
    else:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h30m, 1d)")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    if seconds > MAX_EVERY:
        raise ValueError(f"a duration must be at most 100 years, got {value!r}")
    return seconds


def parse_cron(line: str, tz: str | None) -> Cron:
    """A Cron from a 5-field line; a trailing time zone (``"0 5 * * * Europe/Berlin"``) is allowed."""
    fields = line.split() if isinstance(line, str) else []
    if len(fields) == 6:
        tz, fields = fields[-1], fields[:-1]
    normalized = " ".join(fields)
    if len(fields) != 5 or not croniter.is_valid(normalized):
        raise ValueError(f"invalid cron line {line!r} (5 fields: minute hour day month weekday [time zone])")
    return Cron(normalized, check_time_zone(tz or "UTC"))


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name
