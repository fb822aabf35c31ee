"""Two real schedulers: one master, failover after kill -9, clean stop on TERM/INT/QUIT."""

import signal
import time

import pytest

from django_resque import delayed, keys
from django_resque.payload import build
from django_resque.scheduler import dynamic
from django_resque.scheduler.lock import holder

from .conftest import lock_value, wait_until

REMEMBER = "tests.support.jobs.remember"


def _delay(real_redis, seconds, value, queue="sched_it"):
    delayed.schedule(int(time.time() + seconds), queue, build(REMEMBER, [value]))


def _queued(real_redis, queue="sched_it"):
    return [raw.decode() for raw in real_redis.lrange(keys.queue(queue), 0, -1)]


def test_one_master_moves_jobs_and_the_other_takes_over_after_kill_9(real_redis, start_scheduler):
    first = start_scheduler()
    wait_until(lambda: holder() == lock_value(first), message="the first scheduler to take the lock")
    second = start_scheduler()
    _delay(real_redis, -1, "before")
    wait_until(lambda: len(_queued(real_redis)) == 1, message="the due job to move")
    assert holder() == lock_value(first)

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    _delay(real_redis, 1, "after")
    wait_until(lambda: holder() == lock_value(second), message="the second scheduler to take over")
    wait_until(lambda: len(_queued(real_redis)) == 2, message="the job due after the failover to move")
    time.sleep(0.5)  # a few more ticks: nothing may be moved twice
    assert _queued(real_redis) == [
        '{"class":"tests.support.jobs.remember","args":["before"]}',
        '{"class":"tests.support.jobs.remember","args":["after"]}',
    ]
    assert delayed.schedule_size() == 0


def test_a_schedule_never_fires_twice_across_two_schedulers_and_a_failover(real_redis, start_scheduler):
    dynamic.set_schedule("each_second", {"every": "1s", "class": REMEMBER, "queue": "sched_every"})
    first, second = start_scheduler(), start_scheduler()
    baseline = int(wait_until(lambda: real_redis.hget(keys.schedule_last_run(), "each_second"), message="baseline"))
    wait_until(lambda: real_redis.llen(keys.queue("sched_every")) >= 2, message="two runs")
    leader = first if holder() == lock_value(first) else second
    other = second if leader is first else first
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=30)
    wait_until(lambda: holder() == lock_value(other), message="failover")
    pushed_at_failover = real_redis.llen(keys.queue("sched_every"))
    wait_until(lambda: real_redis.llen(keys.queue("sched_every")) >= pushed_at_failover + 2, message="runs resumed")
    other.send_signal(signal.SIGTERM)
    assert other.wait(timeout=30) == 0
    last = int(real_redis.hget(keys.schedule_last_run(), "each_second"))
    pushed = real_redis.llen(keys.queue("sched_every"))
    assert 4 <= pushed <= last - baseline  # at most one push per run: none doubled


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
def test_stop_signals_exit_cleanly_and_release_the_lock(real_redis, start_scheduler, signum):
    process = start_scheduler()
    wait_until(lambda: holder() == lock_value(process), message="the lock")
    process.send_signal(signum)
    assert process.wait(timeout=30) == 0
    assert holder() is None


def test_a_standby_takes_over_at_once_after_a_clean_stop(real_redis, start_scheduler):
    first = start_scheduler()
    wait_until(lambda: holder() == lock_value(first), message="the lock")
    second = start_scheduler("--lock-timeout", "600")
    time.sleep(0.5)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    wait_until(lambda: holder() == lock_value(second), timeout=30, message="the standby to take the released lock")
    assert real_redis.ttl(keys.scheduler_master_lock()) > 500


def test_the_scheduler_logs_what_it_does_on_stderr(real_redis, start_scheduler, tmp_path):
    """Like resque_work: without -v, becoming master and each fired schedule are logged."""
    dynamic.set_schedule("each_second", {"every": "1s", "class": REMEMBER, "queue": "sched_every"})
    scheduler = start_scheduler()
    wait_until(lambda: real_redis.llen(keys.queue("sched_every")) >= 1, message="a run")
    log = tmp_path / "scheduler-0.log"
    wait_until(lambda: "fired" in log.read_text(), message="the fired line")
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(timeout=30) == 0
    text = log.read_text()
    assert f"Scheduler {lock_value(scheduler)} is now the master" in text
    assert "INFO django_resque.scheduler.runs: Schedule 'each_second' fired" in text
