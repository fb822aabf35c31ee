"""The loop on a fake clock: only the master acts, no duplicate and no silent skip."""

import os
import signal

import pytest

from django_resque import delayed, keys
from django_resque.exceptions import InvalidScheduleError, ResqueConnectionError
from django_resque.payload import build
from django_resque.scheduler import dynamic
from django_resque.scheduler import scheduler as scheduler_module
from django_resque.scheduler.lock import MasterLock
from django_resque.scheduler.scheduler import Scheduler

REMEMBER = "tests.support.jobs.remember"
START = 1_800_000_000  # an exact hour (UTC)


class Clock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now


class AlwaysMaster(MasterLock):
    """A lock that always says yes: two of them model a split brain."""

    def hold(self):
        return True


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"ten": {"every": "10m", "class": REMEMBER, "args": ["t"]}}}


def _scheduler(clock, value="vm:1", lock=None):
    scheduler = Scheduler(clock=clock, lock=lock or MasterLock(value, timeout=30))
    scheduler.load()
    return scheduler


def _pushed(fake_redis):
    return fake_redis.llen(keys.queue("test"))


def test_only_the_master_moves_delayed_jobs(fake_redis):
    clock = Clock()
    master, standby = _scheduler(clock, "vm:1"), _scheduler(clock, "vm:2")
    delayed.schedule(START - 1, "test", build(REMEMBER, [1]))
    standby.lock.hold()  # standby got there first
    master.tick()
    assert _pushed(fake_redis) == 0 and master.is_master is False
    standby.tick()
    assert _pushed(fake_redis) == 1 and standby.is_master is True


def test_every_run_of_a_simulated_day_fires_exactly_once_across_split_brain(fake_redis):
    clock = Clock()
    schedulers = [_scheduler(clock, lock=AlwaysMaster("a:1")), _scheduler(clock, lock=AlwaysMaster("b:2"))]
    for scheduler in schedulers:
        scheduler.tick()  # first sight: baseline only
    while clock.now < START + 24 * 3600:
        clock.now += 37
        for scheduler in schedulers:
            scheduler.tick()
    assert _pushed(fake_redis) == 24 * 6  # every 10 minutes of (START, START + 1 day], once


def test_restart_neither_duplicates_nor_skips(fake_redis):
    clock = Clock(START + 1)
    _scheduler(clock).tick()  # baseline
    clock.now = START + 601
    _scheduler(clock).tick()
    assert _pushed(fake_redis) == 1
    _scheduler(clock, "vm:1").tick()  # restarted at the same moment
    assert _pushed(fake_redis) == 1
    clock.now = START + 30 * 60 + 5  # down for 20 minutes: two runs missed
    _scheduler(clock, "vm:1").tick()
    assert _pushed(fake_redis) == 2  # run once now (the default policy)
    clock.now = START + 40 * 60 + 1
    _scheduler(clock, "vm:1").tick()
    assert _pushed(fake_redis) == 3


def test_dynamic_schedules_are_loaded_and_reloaded(fake_redis):
    clock = Clock(START + 1)
    scheduler = _scheduler(clock)
    dynamic.set_schedule("minutely", {"every": "1m", "class": REMEMBER, "queue": "dyn"})
    scheduler.tick()
    assert set(scheduler.dynamic) == {"minutely"}
    dynamic.set_schedule("later", {"every": "1h", "class": REMEMBER, "queue": "dyn"})
    dynamic.remove_schedule("minutely")
    clock.now += 60
    scheduler.tick()
    assert set(scheduler.dynamic) == {"later"}
    assert fake_redis.llen(keys.queue("dyn")) == 0


def test_redis_errors_stand_down_and_retry(fake_redis, monkeypatch):
    scheduler = _scheduler(Clock())
    scheduler.tick()
    assert scheduler.is_master

    def unreachable():
        raise ResqueConnectionError("redis://x", OSError("down"))

    monkeypatch.setattr(scheduler.lock, "hold", unreachable)
    scheduler.safe_tick()
    assert scheduler.is_master is False


@pytest.fixture
def _restore_signals():
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
@pytest.mark.usefixtures("_restore_signals")
def test_stop_signals_finish_the_tick_and_release_the_lock(fake_redis, monkeypatch, signum):
    scheduler = Scheduler(clock=Clock(), lock=MasterLock("vm:1", timeout=30), interval=60)
    real_tick = scheduler.tick

    def tick_then_signal():
        real_tick()
        os.kill(os.getpid(), signum)  # the handler only sets the flag; the loop sees it

    monkeypatch.setattr(scheduler, "tick", tick_then_signal)
    scheduler.run()
    assert scheduler.stopping is True
    assert fake_redis.get(keys.scheduler_master_lock()) is None


def test_a_bad_settings_schedule_stops_the_start(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"nightly": {"cron": "0 25 * * *", "class": REMEMBER}}}
    with pytest.raises(InvalidScheduleError, match="Schedule 'nightly': invalid cron line"):
        Scheduler(lock=MasterLock("vm:1", timeout=30)).run()


def test_a_backlog_is_moved_in_chunks_renewing_the_lock(fake_redis, monkeypatch):
    monkeypatch.setattr(scheduler_module, "MOVES_PER_RENEWAL", 3)
    scheduler = _scheduler(Clock())
    renewals = []
    real_hold = scheduler.lock.hold
    monkeypatch.setattr(scheduler.lock, "hold", lambda: renewals.append(1) or real_hold())
    for n in range(7):
        delayed.schedule(START - 100 + n, "test", build(REMEMBER, [n]))
    scheduler.tick()
    assert _pushed(fake_redis) == 7
    assert len(renewals) == 3  # the tick's own, then one after each full chunk


def test_any_error_in_a_tick_is_logged_and_backed_off(fake_redis, monkeypatch, caplog):
    scheduler = _scheduler(Clock())
    monkeypatch.setattr(scheduler, "tick", lambda: {}["boom"])
    scheduler.safe_tick()
    first = scheduler.pause
    scheduler.safe_tick()
    assert 0 < first < scheduler.pause
    assert "error in a tick (KeyError('boom'))" in caplog.text
    monkeypatch.setattr(scheduler, "tick", lambda: None)
    scheduler.safe_tick()
    assert scheduler.pause == 0.0


def test_a_busy_redis_stands_down_like_a_lost_one(fake_redis, monkeypatch):
    import redis

    scheduler = _scheduler(Clock())
    scheduler.tick()

    def busy():
        raise redis.ResponseError("BUSY Redis is busy running a script.")

    monkeypatch.setattr(scheduler.lock, "hold", busy)
    scheduler.safe_tick()
    assert scheduler.is_master is False and scheduler.pause == 0.0


def test_one_schedule_that_raises_does_not_stop_the_others(fake_redis, monkeypatch, caplog):
    from django_resque.scheduler import runs

    scheduler = _scheduler(Clock())
    original = runs.handle
    seen = []

    def handle(entry, last, now):
        seen.append(entry.name)
        if entry.name == "ten":
            raise OverflowError("date value out of range")
        return original(entry, last, now)

    monkeypatch.setattr(runs, "handle", handle)
    scheduler.static = {
        **scheduler.static,
        "other": scheduler.static["ten"].__class__(**{**scheduler.static["ten"].__dict__, "name": "other"}),
    }
    scheduler.fire_due(START)
    assert seen == ["ten", "other"]
    assert "Schedule 'ten' could not run: OverflowError" in caplog.text
