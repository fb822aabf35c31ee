"""Exactly-once schedule runs: baseline, compare-and-set, missed-run policies, admin reads."""

import json
import logging
import re

import pytest

import django_resque
from django_resque import keys
from django_resque.exceptions import InvalidScheduleError
from django_resque.scheduler import dynamic, runs
from django_resque.scheduler.schedule import parse

REMEMBER = "tests.support.jobs.remember"
HOUR = 1_800_000_000  # an exact hour (UTC)


def _entry(missed="run_once", **config):
    return parse("hourly", {"cron": "0 * * * *", "class": REMEMBER, "args": ["tick"], "missed": missed, **config})


def _queued(fake_redis):
    return fake_redis.lrange(keys.queue("test"), 0, -1)


def test_first_sight_only_records_a_baseline(fake_redis):
    assert runs.handle(_entry(), None, HOUR + 10) is False
    assert runs.last_runs() == {"hourly": HOUR + 10}
    assert _queued(fake_redis) == []


def test_a_due_run_fires_once_and_advances_the_last_run(fake_redis):
    entry = _entry()
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 60)
    assert runs.handle(entry, HOUR - 60, HOUR - 1) is False
    assert runs.handle(entry, HOUR - 60, HOUR + 1) is True
    assert runs.last_runs() == {"hourly": HOUR}
    [pushed] = _queued(fake_redis)
    assert pushed.startswith(b'{"class":"tests.support.jobs.remember","args":["tick"],"id":"')
    assert fake_redis.smembers(keys.queues()) == {b"test"}


def test_each_run_has_its_own_id_to_follow_it_by(fake_redis):
    entry = _entry()
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 3600)
    runs.handle(entry, HOUR - 3600, HOUR + 1)
    fake_redis.hset(keys.persistent_schedules(), "hourly", json.dumps(entry.config))
    runs.run_now("hourly")
    ids = [json.loads(raw)["id"] for raw in _queued(fake_redis)]
    assert len(set(ids)) == 2
    assert [django_resque.fetch(job_id).status for job_id in ids] == ["queued", "queued"]


def test_a_push_records_when_as_resque_scheduler_does(fake_redis):
    entry = _entry()
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 60)
    runs.handle(entry, HOUR - 60, HOUR + 1)
    stamp = fake_redis.hget(keys.last_enqueued_at(), "hourly").decode()
    # Ruby's Time.now.to_s, which resque-web's Schedule tab shows as "Last Enqueued"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", stamp)


def test_a_stale_last_run_cannot_fire_again(fake_redis):
    """Two schedulers that both read the old last run: only the first fires."""
    entry = _entry()
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 60)
    assert runs.handle(entry, HOUR - 60, HOUR + 1) is True
    assert runs.handle(entry, HOUR - 60, HOUR + 2) is False
    assert len(_queued(fake_redis)) == 1


def test_missed_runs_run_once_now_by_default(fake_redis, caplog):
    caplog.set_level(logging.INFO)
    entry = _entry()
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 3 * 3600)
    assert runs.handle(entry, HOUR - 3 * 3600, HOUR + 600) is True
    assert len(_queued(fake_redis)) == 1
    assert runs.last_runs() == {"hourly": HOUR}
    assert "Schedule 'hourly': 3 run(s) missed" in caplog.text
    assert "running once now" in caplog.text


def test_missed_runs_are_skipped_with_skip(fake_redis, caplog):
    entry = _entry(missed="skip")
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 3 * 3600)
    assert runs.handle(entry, HOUR - 3 * 3600, HOUR + 600) is False
    assert _queued(fake_redis) == []
    assert runs.last_runs() == {"hourly": HOUR}  # the next one, at HOUR + 3600, runs normally
    assert "skipped (missed: skip)" in caplog.text
    assert runs.handle(entry, HOUR, HOUR + 3600) is True


def test_skip_still_runs_an_on_time_run_after_older_missed_ones(fake_redis):
    entry = _entry(missed="skip")
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR - 3 * 3600)
    assert runs.handle(entry, HOUR - 3 * 3600, HOUR + runs.ON_TIME_WITHIN) is True
    assert len(_queued(fake_redis)) == 1


def test_plan_counts(fake_redis):
    entry = _entry()
    assert runs.plan(entry, HOUR, HOUR + 5) is None
    assert runs.plan(entry, HOUR - 3600, HOUR + 5) == runs.Plan(run=HOUR, fire=True, missed=0)
    assert runs.plan(entry, HOUR - 3600, HOUR + 61) == runs.Plan(run=HOUR, fire=True, missed=1)
    assert runs.plan(entry, HOUR - 3 * 3600, HOUR + 5) == runs.Plan(run=HOUR, fire=True, missed=2)


def test_status_and_run_now(fake_redis, settings):
    settings.RESQUE = {
        **settings.RESQUE,
        "SCHEDULE": {"hourly": {"cron": "0 * * * *", "class": REMEMBER, "description": "every hour"}},
    }
    fake_redis.hset(keys.persistent_schedules(), "broken", b'{"every":"1m","class":"Ruby::Only"}')
    dynamic.set_schedule("often", {"every": "1m", "class": REMEMBER})
    fake_redis.hset(keys.schedule_last_run(), "hourly", HOUR)
    statuses = {status.name: status for status in runs.status(HOUR + 5)}
    assert statuses["hourly"].last_run.timestamp() == HOUR
    assert statuses["hourly"].next_run.timestamp() == HOUR + 3600
    assert statuses["often"].last_run is None
    assert statuses["often"].next_run.timestamp() == HOUR + 60
    assert statuses["broken"].entry is None and "Ruby::Only" in statuses["broken"].error
    runs.run_now("often")
    assert len(_queued(fake_redis)) == 1
    assert runs.last_runs() == {"hourly": HOUR}  # a manual run changes no regular run
    with pytest.raises(InvalidScheduleError, match="No schedule named 'nope'"):
        runs.run_now("nope")


def test_a_schedule_only_baselined_shows_no_last_run(fake_redis, settings):
    """The scheduler's first sight records when it looked: not a run, so the admin says "never"."""
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"hourly": {"cron": "0 * * * *", "class": REMEMBER}}}
    runs.handle(_entry(), None, HOUR + 10)
    (status,) = runs.status(HOUR + 20)
    assert status.last_run is None
    assert status.next_run.timestamp() == HOUR + 3600
    runs.handle(_entry(), HOUR + 10, HOUR + 3600 + 1)
    (status,) = runs.status(HOUR + 3600 + 2)
    assert status.last_run.timestamp() == HOUR + 3600


def test_on_time_runs_after_a_short_gap_each_fire_once(fake_redis):
    """A failover or Redis restart of a few seconds: every run still due on time fires, oldest first."""
    entry = parse("each_second", {"every": "1s", "class": REMEMBER, "args": ["tick"]})
    fake_redis.hset(keys.schedule_last_run(), "each_second", HOUR)
    assert runs.handle(entry, HOUR, HOUR + 3.5) is True
    assert len(_queued(fake_redis)) == 3
    assert runs.last_runs() == {"each_second": HOUR + 3}
    assert runs.handle(entry, HOUR + 3, HOUR + 3.9) is False
    assert runs.plan(entry, HOUR, HOUR + 3.5) == runs.Plan(run=HOUR + 1, fire=True, missed=0)


def test_a_last_run_that_is_not_an_epoch_is_dropped_by_the_scheduler_only(fake_redis, caplog):
    fake_redis.hset(keys.schedule_last_run(), mapping={"hourly": "soon", "other": str(HOUR), b"\xffname": "1.5"})
    assert runs.last_runs() == {"other": HOUR}
    assert fake_redis.hlen(keys.schedule_last_run()) == 3  # the admin's read changes nothing
    assert runs.last_runs(drop_unreadable=True) == {"other": HOUR}
    assert fake_redis.hkeys(keys.schedule_last_run()) == [b"other"]
    assert "Removed b'soon' from resque:django_resque:schedule_last_run: not an epoch" in caplog.text
