"""History for the charts: written inside the worker's own scripts, read back defensively."""

from __future__ import annotations

import json
import os
import time

import pytest
import redis

from django_resque import history, inflight, keys, metrics, queue, scripts, signals, workers
from django_resque.payload import build
from tests.support import jobs

WORKER = "vm:1:mail"


@pytest.fixture(autouse=True)
def mid_minute(monkeypatch):
    """Redis's clock (fakeredis reads time.time) stopped mid-minute: no minute turns in a test."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_030.0)


def _now(fake_redis) -> int:
    return int(fake_redis.time()[0])


def _minute(fake_redis) -> str:
    now = _now(fake_redis)
    return keys.history("minute", now - now % 60)


def _hour(fake_redis) -> str:
    now = _now(fake_redis)
    return keys.history("hour", now - now % 3600)


def _work_one(name: str, failed: bool, queue_name: str = "mail") -> None:
    queue.push(queue_name, build(name, [1]))
    reserved = inflight.reserve(WORKER, [queue_name])
    assert isinstance(reserved, inflight.Reservation)
    assert inflight.finish(WORKER, reserved.record, failed=failed)


def test_a_finished_job_is_counted_in_its_minute_fleet_wide_and_for_its_queue(fake_redis):
    _work_one("ok", failed=False)
    _work_one("bad", failed=True)
    assert fake_redis.hgetall(_minute(fake_redis)) == {
        b"processed": b"2",
        b"processed:mail": b"2",
        b"failed": b"1",
        b"failed:mail": b"1",
    }
    assert 0 < fake_redis.ttl(_minute(fake_redis)) <= 1440 * 60 + 60
    assert not fake_redis.exists(_hour(fake_redis))  # folded in later, once a minute


def test_the_first_sample_of_a_minute_folds_the_minutes_before_into_their_hours_once(fake_redis, monkeypatch):
    _work_one("ok", failed=False)
    _work_one("bad", failed=True)
    counted = _minute(fake_redis)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_030.0 + 120)  # two minutes later
    _work_one("later", failed=False)
    workers.heartbeat(WORKER)
    fake_redis.hdel(_minute(fake_redis), "sampled")  # as if another minute: not folded twice
    workers.heartbeat(WORKER)
    assert fake_redis.hgetall(_hour(fake_redis)) == {
        b"processed": b"2",
        b"processed:mail": b"2",
        b"failed": b"1",
        b"failed:mail": b"1",
        b"depth": b"0",
        b"depth:mail": b"0",
    }
    assert fake_redis.hget(counted, "folded") == b"1"
    assert 7 * 86400 < fake_redis.ttl(_hour(fake_redis)) <= 168 * 3600 + 3600


def test_the_reserve_script_counts_the_job_it_finishes(fake_redis):
    queue.push_many([("a:b", build("first", [])), ("a:b", build("second", []))])
    first = inflight.reserve(WORKER, ["a:b"])
    inflight.reserve(WORKER, ["a:b"], inflight.Finished(first.record, failed=True))
    assert fake_redis.hgetall(_minute(fake_redis)) == {
        b"processed": b"1",
        b"processed:a:b": b"1",
        b"failed": b"1",
        b"failed:a:b": b"1",
    }


def test_a_discarded_job_is_not_counted(fake_redis):
    queue.push("mail", build("x", []))
    reserved = inflight.reserve(WORKER, ["mail"])
    assert inflight.discard(WORKER, reserved.record)
    assert fake_redis.keys(keys.history_prefix() + "*") == []


def test_history_off_writes_nothing(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "HISTORY": False}
    _work_one("ok", failed=False)
    workers.heartbeat(WORKER)
    assert fake_redis.keys(keys.history_prefix() + "*") == []
    assert fake_redis.get(keys.stat("processed")) == b"1"


def test_a_hostile_history_key_never_stops_a_job_being_counted(fake_redis):
    fake_redis.set(_minute(fake_redis), "not a hash")
    _work_one("ok", failed=False)
    assert fake_redis.get(keys.stat("processed")) == b"1"
    assert fake_redis.get(_minute(fake_redis)) == b"not a hash"
    fake_redis.delete(_minute(fake_redis))
    fake_redis.hset(_minute(fake_redis), "processed", "many")
    _work_one("ok", failed=False)
    assert fake_redis.get(keys.stat("processed")) == b"2"
    assert fake_redis.hget(_minute(fake_redis), "processed:mail") == b"1"


def test_history_keys_expire(fake_redis, monkeypatch, settings):
    settings.RESQUE = {**settings.RESQUE, "HISTORY_MINUTES": 5, "HISTORY_HOURS": 2, "DURATION_METRICS": True}
    _work_one("ok", failed=False)
    queue.push("mail", build("waiting", []))
    workers.heartbeat(WORKER)
    metrics.record_duration("ok", 0.5, "mail")
    written = fake_redis.keys(keys.history_prefix() + "*")
    assert len(written) == 7  # minute, hour, their durations fleet-wide and of mail, the writers
    assert all(fake_redis.ttl(key) > 0 for key in written if key != keys.history_writers().encode())
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 6 * 60 + 1)
    assert fake_redis.exists(_hour(fake_redis)) and not fake_redis.exists(_minute(fake_redis))
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 3600 + 1)
    assert fake_redis.keys(keys.history_prefix() + "*") == [keys.history_writers().encode()]


def test_the_heartbeat_samples_depth_once_a_minute_for_the_fleet(fake_redis):
    queue.push_many([("mail", build("a", [])), ("mail", build("b", []))])
    queue.push("reports", build("c", []))
    workers.heartbeat(WORKER)
    queue.push("mail", build("d", []))
    workers.heartbeat("vm:2:reports")  # the same minute: not sampled again
    minute = fake_redis.hgetall(_minute(fake_redis))
    assert minute == {b"sampled": b"1", b"depth": b"3", b"depth:mail": b"2", b"depth:reports": b"1"}
    assert fake_redis.hgetall(_hour(fake_redis)) == {b"depth": b"3", b"depth:mail": b"2", b"depth:reports": b"1"}
    assert history.non_writers([WORKER, "vm:2:reports", "ruby:3:mail"]) == ["ruby:3:mail"]


def test_the_hour_keeps_the_largest_depth_sampled(fake_redis):
    queue.push_many([("mail", build("a", [])), ("mail", build("b", []))])
    workers.heartbeat(WORKER)
    fake_redis.delete(_minute(fake_redis))  # as if the next minute came
    fake_redis.lpop(keys.queue("mail"))
    workers.heartbeat(WORKER)
    assert fake_redis.hget(_minute(fake_redis), "depth:mail") == b"1"
    assert fake_redis.hget(_hour(fake_redis), "depth:mail") == b"2"


def test_too_many_queues_are_not_sampled(fake_redis, monkeypatch):
    monkeypatch.setattr(history, "MAX_SAMPLED_QUEUES", 1)
    queue.push("mail", build("a", []))
    queue.push("reports", build("c", []))
    workers.heartbeat(WORKER)
    assert fake_redis.hgetall(_minute(fake_redis)) == {b"sampled": b"1"}


def test_a_queue_key_of_another_type_samples_as_empty(fake_redis):
    queue.push("mail", build("a", []))
    fake_redis.sadd(keys.queues(), "odd")
    fake_redis.set(keys.queue("odd"), "x")
    workers.heartbeat(WORKER)
    assert fake_redis.hget(_minute(fake_redis), "depth:odd") == b"0"
    assert fake_redis.hget(_minute(fake_redis), "depth") == b"1"


def test_durations_are_summarised_per_job(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    for seconds in (0.5, 2.0, 1.0):
        metrics.record_duration("slow", seconds)
    metrics.record_duration("fast", 0.01)
    fake_redis.hset(keys.history_durations("minute", _now(fake_redis) // 60 * 60), "count:junk", "lots")
    span = history.SPANS["hour"]
    assert history.slowest(span) == [
        history.Slow("slow", 3, pytest.approx(3.5 / 3), 2.0),
        history.Slow("fast", 1, pytest.approx(0.01), 0.01),
    ]


def test_the_keys_the_scripts_build_are_keys_py_names(fake_redis):
    assert keys.history("minute", 120) == keys.history_prefix() + "minute:120"
    assert keys.history("hour", 3600) == keys.history_prefix() + "hour:3600"
    assert keys.history_durations("minute", 60) == keys.history_prefix() + "durations:minute:60"
    assert keys.history_queue_durations("hour", 3600, "a:b") == keys.history_prefix() + "queue_durations:hour:3600:a:b"


def _queue_durations(fake_redis, resolution: str, queue_name: str) -> dict[bytes, bytes]:
    now = _now(fake_redis)
    step = 60 if resolution == "minute" else 3600
    return fake_redis.hgetall(keys.history_queue_durations(resolution, now - now % step, queue_name))


def test_durations_are_summarised_per_queue_too_in_the_same_round_trip(fake_redis, settings, monkeypatch):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    executed = []
    real_execute = redis.client.Pipeline.execute

    def execute(pipe, *args, **kwargs):
        executed.append([command[0][0] for command in pipe.command_stack])
        return real_execute(pipe, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    metrics.record_duration("Mail::Digest", 2.0, "a:b")
    metrics.record_duration("Mail::Digest", 1.0, "a:b")
    metrics.record_duration("quick", 0.1, "a")  # "a" is not "a:b"'s first part
    metrics.record_duration("old", 9.0)  # no queue, as recorded before: fleet-wide only
    assert len(executed) == 4 and all(commands.count("EVAL") == 1 for commands in executed)  # one pipeline a job
    digest = {b"count:Mail::Digest": b"2", b"sum:Mail::Digest": b"3", b"max:Mail::Digest": b"2"}
    assert _queue_durations(fake_redis, "minute", "a:b") == digest
    assert _queue_durations(fake_redis, "hour", "a:b") == digest
    span = history.SPANS["hour"]
    assert history.slowest(span, queue="a:b") == [history.Slow("Mail::Digest", 2, 1.5, 2.0)]
    assert history.slowest(span, queue="a") == [history.Slow("quick", 1, pytest.approx(0.1), 0.1)]
    assert history.slowest(history.SPANS["week"], queue="a:b") == [history.Slow("Mail::Digest", 2, 1.5, 2.0)]
    assert [slow.job for slow in history.slowest(span)] == ["old", "Mail::Digest", "quick"]
    assert history.slowest(span, queue="nothing") == []


def test_the_job_finished_signal_records_the_jobs_queue(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    signals.job_finished.send(sender=jobs.remember, queue="mail", payload=None, worker_id=WORKER, duration=0.5)
    assert history.slowest(history.SPANS["hour"], queue="mail") == [history.Slow(jobs.remember.name, 1, 0.5, 0.5)]


def test_a_duration_with_no_valid_queue_name_is_recorded_fleet_wide_only(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    for name in ("", "a,b", "bad\x00name"):
        metrics.record_duration("job", 1.0, name)
    assert fake_redis.keys(keys.history_prefix() + "queue_durations:*") == []
    assert history.slowest(history.SPANS["hour"])[0].count == 3


def test_a_queues_hash_takes_a_bounded_number_of_job_classes(fake_redis, settings, monkeypatch):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    monkeypatch.setattr(history, "MAX_QUEUE_JOB_CLASSES", 2)
    for job in ("one", "two", "three", "one"):
        metrics.record_duration(job, 1.0, "mail")
    assert _queue_durations(fake_redis, "minute", "mail")[b"count:one"] == b"2"  # a known class still counts
    assert len(_queue_durations(fake_redis, "minute", "mail")) == 6
    assert [slow.job for slow in history.slowest(history.SPANS["hour"], queue="mail")] == ["one", "two"]
    assert len(history.slowest(history.SPANS["hour"])) == 3  # the fleet's have them all


def test_a_hostile_queue_durations_key_never_stops_a_duration_being_recorded(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    now = _now(fake_redis)
    fake_redis.set(keys.history_queue_durations("minute", now - now % 60, "mail"), "not a hash")
    metrics.record_duration("job", 1.0, "mail")
    assert fake_redis.get(keys.history_queue_durations("minute", now - now % 60, "mail")) == b"not a hash"
    assert fake_redis.ttl(keys.history_queue_durations("minute", now - now % 60, "mail")) == -1
    assert history.slowest(history.SPANS["hour"], queue="mail") == []  # read from the minutes: that one skipped
    assert history.slowest(history.SPANS["week"], queue="mail") == [history.Slow("job", 1, 1.0, 1.0)]
    assert history.slowest(history.SPANS["hour"]) == [history.Slow("job", 1, 1.0, 1.0)]


def test_a_queues_durations_read_skips_hostile_fields_and_oversized_hashes(fake_redis, monkeypatch):
    monkeypatch.setattr(history, "MAX_QUEUE_JOB_CLASSES", 2)
    now = 1_800_000_000 - 1_800_000_000 % 3600 + 59 * 60 + 30
    base = now - now % 60
    fake_redis.hset(
        keys.history_queue_durations("minute", base, "a:b"),
        mapping={"count:Foo::Bar": 2, "sum:Foo::Bar": "3", "max:Foo::Bar": "2", "count:x": "nan", "sum:x": 1},
    )
    fake_redis.hset(
        keys.history_queue_durations("minute", base - 60, "a:b"),
        mapping={"count:": 4, "junk": 1, "count:neg": -1, "average:y": 1, "count:Foo::Bar": 1, "max:Foo::Bar": "x"},
    )
    fake_redis.set(keys.history_queue_durations("minute", base - 120, "a:b"), "not a hash")
    fake_redis.hset(  # 7 fields, more than 2 job classes' 6: not read at all
        keys.history_queue_durations("minute", base - 180, "a:b"),
        mapping={f"count:big{n}": 1 for n in range(7)},
    )
    fake_redis.hset(keys.history_durations("minute", base), mapping={"count:fleet": 1, "sum:fleet": 5})
    slow = history.slowest(history.SPANS["hour"], queue="a:b", now=now)
    assert slow == [history.Slow("Foo::Bar", 3, 1.0, 2.0)]
    assert history.slowest(history.SPANS["hour"], queue="a", now=now) == []  # "a:b"'s keys are not "a"'s


def test_series_groups_and_reads_hostile_values_as_nothing(fake_redis):
    now = 1_800_000_000 - 1_800_000_000 % 3600 + 59 * 60 + 30
    base = now - now % 60
    fake_redis.hset(keys.history("minute", base), mapping={"processed": 4, "failed": 1, "depth": 7})
    fake_redis.hset(keys.history("minute", base - 60), mapping={"processed": "x", "failed": -3, "depth": "9"})
    fake_redis.set(keys.history("minute", base - 120), "not a hash")
    points = history.series(history.SPANS["hour"], now=now)
    assert len(points) == 60 and points[-1] == history.Point(base, 4, 1, 7)
    assert points[-2] == history.Point(base - 60, 0, 0, 9)
    assert points[-3] == history.Point(base - 120, 0, 0, None)
    day = history.series(history.SPANS["day"], now=now)
    assert len(day) == 96 and day[-1] == history.Point(base - 14 * 60, 4, 1, 9)


def test_series_of_one_queue(fake_redis):
    now = 1_800_000_000
    fake_redis.hset(keys.history("hour", now - now % 3600), mapping={"processed:mail": 5, "processed": 9})
    points = history.series(history.SPANS["week"], queue="mail", now=now)
    assert len(points) == 168 and points[-1].processed == 5 and points[0].processed == 0


def test_non_writers_with_a_hostile_writers_key(fake_redis):
    fake_redis.set(keys.history_writers(), "x")
    assert history.non_writers(["a:1:q"]) == ["a:1:q"]
    assert history.non_writers([]) == []


def test_a_hostile_queues_set_never_fails_the_heartbeat(fake_redis):
    fake_redis.set(keys.queues(), "not a set")
    fake_redis.set(keys.history_writers(), "not a hash")
    workers.heartbeat(WORKER)  # the sample is in the heartbeat's MULTI: it must not raise
    assert fake_redis.hget(keys.heartbeats(), WORKER)
    assert fake_redis.hgetall(_minute(fake_redis)) == {b"sampled": b"1"}


def _held(monkeypatch):
    """History counts held for a minute between writes, as a busy worker holds them for a second."""
    monkeypatch.setattr(history, "FLUSH_SECONDS", 60.0)


def test_counts_are_held_between_writes_and_go_with_the_next_due_call(fake_redis, monkeypatch):
    _held(monkeypatch)
    _work_one("ok", failed=False)  # the first write of the process: at once
    _work_one("ok", failed=False)
    _work_one("bad", failed=True, queue_name="other")
    assert fake_redis.hgetall(_minute(fake_redis)) == {b"processed": b"1", b"processed:mail": b"1"}
    assert fake_redis.get(keys.stat("processed")) == b"3"  # Resque's own counters never wait
    monkeypatch.setattr(history, "FLUSH_SECONDS", 0.0)
    queue.push("mail", build("next", []))
    inflight.reserve(WORKER, ["mail"])  # the next call that is due carries them
    assert fake_redis.hgetall(_minute(fake_redis)) == {
        b"processed": b"3",
        b"processed:mail": b"2",
        b"processed:other": b"1",
        b"failed": b"1",
        b"failed:other": b"1",
    }


def test_a_reserve_that_finds_nothing_writes_what_is_held(fake_redis, monkeypatch):
    _held(monkeypatch)
    _work_one("ok", failed=False)
    queue.push("mail", build("second", []))
    reserved = inflight.reserve(WORKER, ["mail"])
    assert inflight.reserve(WORKER, ["mail"], inflight.Finished(reserved.record, failed=False)) is None
    assert fake_redis.hget(_minute(fake_redis), "processed:mail") == b"2"


def test_the_heartbeat_writes_what_a_long_job_would_hold_back(fake_redis, monkeypatch):
    _held(monkeypatch)
    _work_one("ok", failed=False)
    _work_one("ok", failed=False)
    workers.heartbeat(WORKER)
    assert fake_redis.hget(_minute(fake_redis), "processed") == b"2"


def test_a_forked_process_leaves_its_parents_counts_to_the_parent(fake_redis, monkeypatch):
    _held(monkeypatch)
    _work_one("ok", failed=False)
    _work_one("ok", failed=False)  # held in this process
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only reports what it holds
        os._exit(0 if history.script_args(flush=True)[2] == "" else 1)
    assert os.waitpid(child, 0)[1] == 0
    assert json.loads(history.script_args(flush=True)[2]) == ["processed", 1, "processed:mail", 1]


@pytest.mark.parametrize("counts", ["not json", '{"processed": 1}', '["processed", "many", 7, 1]', '["processed"]'])
def test_counts_another_program_sent_are_left_alone(fake_redis, counts):
    prefix, ttl = history._writing()
    assert scripts.run(scripts.ADD_TO_HISTORY, [], [prefix, ttl, counts, "-"]) == 1
    assert fake_redis.hgetall(_minute(fake_redis)) == {}
