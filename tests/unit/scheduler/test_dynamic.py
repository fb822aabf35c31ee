"""Dynamic schedules in Redis, as resque-scheduler's dynamic mode stores them."""

import pytest

from django_resque import keys
from django_resque.exceptions import InvalidScheduleError
from django_resque.scheduler import dynamic

REMEMBER = "tests.support.jobs.remember"


@pytest.fixture(autouse=True)
def _static(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"static": {"every": "1h", "class": REMEMBER}}}


def test_set_schedule_writes_ruby_layout(fake_redis):
    dynamic.set_schedule("hourly", {"cron": "0 * * * *", "class": REMEMBER, "args": [1], "persist": True})
    assert fake_redis.hget(keys.persistent_schedules(), "hourly") == (
        b'{"cron":"0 * * * *","class":"tests.support.jobs.remember","args":[1]}'
    )
    assert fake_redis.smembers(keys.schedules_changed()) == {b"hourly"}
    assert dynamic.get_schedule("hourly") == {"cron": "0 * * * *", "class": REMEMBER, "args": [1]}
    assert set(dynamic.all_schedules()) == {"static", "hourly"}
    assert list(dynamic.dynamic_entries()) == ["hourly"]


def test_set_schedule_refuses_bad_config_and_settings_names(fake_redis):
    with pytest.raises(InvalidScheduleError, match="Schedule 'x': invalid cron"):
        dynamic.set_schedule("x", {"cron": "bad", "class": REMEMBER})
    with pytest.raises(InvalidScheduleError, match="'static' is defined in RESQUE"):
        dynamic.set_schedule("static", {"every": "1m", "class": REMEMBER})
    assert fake_redis.keys("*") == []


def test_remove_schedule_marks_the_change_and_forgets_the_last_run(fake_redis):
    dynamic.set_schedule("hourly", {"cron": "0 * * * *", "class": REMEMBER})
    fake_redis.hset(keys.schedule_last_run(), "hourly", 123)
    dynamic.take_changed()
    assert dynamic.remove_schedule("hourly") is True
    assert dynamic.get_schedule("hourly") is None
    assert fake_redis.hget(keys.schedule_last_run(), "hourly") is None
    assert dynamic.take_changed() == {"hourly"}
    assert dynamic.take_changed() == set()
    assert dynamic.remove_schedule("hourly") is False


def test_bad_entries_written_by_others_are_skipped_and_kept(fake_redis, caplog):
    fake_redis.hset(keys.persistent_schedules(), "garbage", b"{not json")
    fake_redis.hset(keys.persistent_schedules(), "unknown_job", b'{"every":"1m","class":"Ruby::Only"}')
    fake_redis.hset(keys.persistent_schedules(), "static", b'{"every":"1m","class":"tests.support.jobs.remember"}')
    assert dynamic.dynamic_entries() == {}
    assert "Schedule 'unknown_job': No job is registered" in caplog.text
    assert "'garbage' in resque:persistent_schedules is unreadable" in caplog.text
    assert "'static' is ignored" in caplog.text
    assert fake_redis.hlen(keys.persistent_schedules()) == 3
