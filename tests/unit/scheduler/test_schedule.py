"""Schedule entries: resque-scheduler's config shape, checked, errors naming the schedule."""

import pytest

from django_resque.exceptions import InvalidScheduleError
from django_resque.scheduler import schedule
from django_resque.scheduler.timing import Cron, Every

REMEMBER = "tests.support.jobs.remember"


def test_a_full_entry():
    entry = schedule.parse(
        "nightly",
        {"cron": "30 2 * * *", "timezone": "Europe/Berlin", "class": REMEMBER, "queue": "low", "args": [1, "a"]},
    )
    assert entry.rule == Cron("30 2 * * *", "Europe/Berlin")
    assert (entry.job_name, entry.queue, entry.args, entry.missed) == (REMEMBER, "low", [1, "a"], "run_once")
    assert entry.payload().encode().startswith('{"class":"tests.support.jobs.remember","args":[1,"a"],"id":"')


def test_defaults_as_resque_scheduler():
    entry = schedule.parse("often", {"every": ["30s", {}], "job": "RubyNamed", "args": {"k": 1}, "missed": "skip"})
    assert entry.rule == Every(30)
    assert entry.queue == "test"  # the job's own queue
    assert entry.args == [{"k": 1}]  # a lone hash becomes the one argument
    assert entry.missed == "skip"
    assert schedule.parse("bare", {"every": 60, "class": REMEMBER}).args == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"cron": "61 * * * *", "class": REMEMBER}, "invalid cron line '61 \\* \\* \\* \\*'"),
        ({"cron": "* * * * *", "class": "app.NotAJob"}, "No job is registered under the name 'app.NotAJob'"),
        ({"cron": "* * * * *"}, "exactly one of 'class' or 'job'"),
        ({"class": REMEMBER}, "exactly one of 'cron'"),
        ({"cron": "* * * * *", "every": "1m", "class": REMEMBER}, "exactly one of 'cron'"),
        ({"every": "1m", "class": REMEMBER, "timezone": "UTC"}, "'timezone' applies to 'cron' only"),
        ({"every": "1m", "class": REMEMBER, "missed": "all"}, "'missed' must be one of run_once, skip"),
        ({"every": "1m", "class": REMEMBER, "clas": "x"}, "unknown key\\(s\\) clas"),
        ({"every": "1m", "class": REMEMBER, "args": [object()]}, "'args': argument 0 is an object"),
        ({"every": "1m", "class": REMEMBER, "timezone": "Nowhere/City", "cron": None}, "'timezone' applies"),
        ({"cron": "* * * * * Nowhere/City", "class": REMEMBER}, "unknown time zone 'Nowhere/City'"),
        ("* * * * *", "config must be a dict"),
    ],
)
def test_errors_name_the_schedule(config, message):
    with pytest.raises(InvalidScheduleError, match="^Schedule 'broken': .*" + message):
        schedule.parse("broken", config)


def test_settings_are_checked_at_load(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"ok": {"every": "1m", "class": REMEMBER}}}
    assert list(schedule.from_settings()) == ["ok"]
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"bad": {"cron": "nope", "class": REMEMBER}}}
    with pytest.raises(InvalidScheduleError, match="Schedule 'bad'"):
        schedule.from_settings()
