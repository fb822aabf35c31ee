"""Run times: cron in a time zone (with the documented DST rule) and epoch-aligned ``every``."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from django_resque.scheduler.timing import Cron, Every, parse_cron, parse_duration

BERLIN = ZoneInfo("Europe/Berlin")


def _epoch(*args, tz=BERLIN, fold=0):
    return int(dt.datetime(*args, tzinfo=tz, fold=fold).timestamp())


def _utc(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _runs(rule, start, count):
    found, moment = [], start
    for _ in range(count):
        moment = rule.next_after(moment)
        found.append(_utc(moment))
    return found


def test_daily_0230_on_spring_forward_runs_once_at_0300():
    rule = Cron("30 2 * * *", "Europe/Berlin")
    # 2026-03-29: clocks go 02:00 CET -> 03:00 CEST; 02:30 does not exist.
    assert _runs(rule, _epoch(2026, 3, 28, 12, 0), 3) == [
        "2026-03-29 01:00",  # 03:00 CEST, the first instant after the gap
        "2026-03-30 00:30",  # 02:30 CEST
        "2026-03-31 00:30",
    ]


def test_daily_0230_on_fall_back_runs_once_at_the_first_0230():
    rule = Cron("30 2 * * *", "Europe/Berlin")
    # 2026-10-25: clocks go 03:00 CEST -> 02:00 CET; 02:30 happens twice.
    assert _runs(rule, _epoch(2026, 10, 24, 12, 0), 2) == [
        "2026-10-25 00:30",  # 02:30 CEST; the second 02:30 (01:30 UTC) is not a run
        "2026-10-26 01:30",  # 02:30 CET
    ]


def test_latest_run_skips_the_repeated_wall_time_too():
    rule = Cron("30 2 * * *", "Europe/Berlin")
    after_second_pass = _epoch(2026, 10, 25, 2, 45, fold=1)
    assert _utc(rule.latest_at_or_before(after_second_pass)) == "2026-10-25 00:30"


def test_hourly_steps_follow_real_time_through_the_repeated_hour():
    rule = Cron("*/30 * * * *", "Europe/Berlin")
    runs = _runs(rule, _epoch(2026, 10, 25, 1, 50), 5)
    assert runs == ["2026-10-25 00:00", "2026-10-25 00:30", "2026-10-25 01:00", "2026-10-25 01:30", "2026-10-25 02:00"]


def test_cron_in_a_time_zone_and_utc_by_default():
    assert _utc(Cron("0 9 * * *", "America/New_York").next_after(_epoch(2026, 7, 1, tz=dt.UTC))) == "2026-07-01 13:00"
    assert _utc(parse_cron("0 9 * * *", None).next_after(_epoch(2026, 7, 1, tz=dt.UTC))) == "2026-07-01 09:00"


def test_latest_at_or_before_includes_an_exact_run():
    rule = Cron("0 * * * *")
    on_the_hour = _epoch(2026, 7, 1, 10, 0, tz=dt.UTC)
    assert rule.latest_at_or_before(on_the_hour) == on_the_hour
    assert rule.latest_at_or_before(on_the_hour + 59) == on_the_hour
    assert rule.next_after(on_the_hour) == on_the_hour + 3600


def test_every_is_aligned_on_the_epoch():
    rule = Every(600)
    assert rule.next_after(1_000_000_123) == 1_000_000_200
    assert rule.latest_at_or_before(1_000_000_199) == 1_000_000_200 - 600
    assert rule.latest_at_or_before(1_000_000_200) == 1_000_000_200


def test_trailing_time_zone_in_the_cron_line():
    assert parse_cron("0 5 * * * Europe/Berlin", None) == Cron("0 5 * * *", "Europe/Berlin")


@pytest.mark.parametrize("line", ["61 * * * *", "* * * *", "0 5 * * * Mars/Olympus", "", "*/5 * * * * * *"])
def test_bad_cron_lines(line):
    with pytest.raises(ValueError):
        parse_cron(line, None)


@pytest.mark.parametrize(
    ("value", "seconds"), [(30, 30), ("30", 30), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("1d", 86400)]
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", [0, -5, "5x", "", "m", True, 1.5, None, "1h 30", "99999999999999999999d", 10**12])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)
