"""Job handles: ids in payloads, fetch, status from records (hostile ones too), cancel."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import json
import os
import pickle
import time

import pytest

import django_resque
from django_resque import delayed, handle, inflight, keys, status
from django_resque.failure import api
from django_resque.worker import perform
from tests.support import jobs as support

WORKER = "host:1:test"


def _work_next(client):
    reservation = inflight.reserve(WORKER, ["test"])
    return perform.work(reservation, WORKER)


def test_ids_are_32_hex_digits_led_by_the_time():
    first, second = handle.new_id(), handle.new_id()
    assert first != second and len(first) == 32 and int(first, 16) >= 0
    when = handle.enqueued_at_of(first)
    assert abs(when.timestamp() - time.time()) < 5


def test_a_queued_handle_is_the_same_value_the_dataclass_makes():
    when = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    made = handle.queued("abc", "some.job", "mail", "a reason", enqueued_at=when)
    built = handle.JobHandle("abc", "queued", "some.job", "mail", "a reason", enqueued_at=when)
    assert made == built and repr(made) == repr(built) and handle.as_dict(made) == handle.as_dict(built)
    assert dataclasses.replace(made, reason="other").reason == "other" and made.attempt == 0


def test_ids_made_in_bulk_are_distinct_and_carry_their_time(fake_redis):
    ids, when = handle.new_ids(3)
    assert len(set(ids)) == 3 and all(handle.enqueued_at_of(job_id) == when for job_id in ids)
    made = django_resque.enqueue_many([(support.add, (n, 1)) for n in range(3)])
    assert [found.enqueued_at for found in made] == [handle.enqueued_at_of(found.id) for found in made]
    assert len({found.id for found in made}) == 3


def test_a_queued_job_has_no_record_and_reads_as_queued(fake_redis):
    queued = support.remember.delay(1)
    assert fake_redis.keys("*django_resque:job:*") == []
    fetched = django_resque.fetch(queued.id)
    assert (fetched.status, fetched.id) == ("queued", queued.id)
    assert "no worker has taken it yet" in fetched.reason
    assert fetched.enqueued_at == queued.enqueued_at


@pytest.mark.parametrize("job_id", ["", "../etc", "x" * 65, None, "a b"])
def test_a_malformed_id_is_unknown(job_id):
    fetched = django_resque.fetch(job_id)
    assert fetched.status == "unknown" and "not a job id" in fetched.reason


def test_an_id_without_a_record_and_older_than_the_ttl_is_unknown(fake_redis):
    old = "%012x%s" % (int((time.time() - 2 * 86400) * 1000), "0" * 20)
    assert django_resque.fetch(old).status == "unknown"
    assert django_resque.fetch("someone-elses-id").status == "unknown"


def test_success_finishes_the_record_and_keeps_a_result_only_when_asked(fake_redis):
    plain = support.add.delay(1, 2)
    kept = support.doubled.delay(21)
    _work_next(fake_redis)
    _work_next(fake_redis)
    result = django_resque.fetch(kept.id)
    assert (result.status, result.result, result.has_result) == ("finished", {"doubled": 42}, True)
    assert 0 < fake_redis.ttl(keys.job_record(kept.id)) <= 600
    assert django_resque.fetch(plain.id).has_result is False


def test_the_result_setting_keeps_every_jobs_value(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "RESULT_TTL": 30}
    queued = support.add.delay(2, 3, scale=2)
    _work_next(fake_redis)
    assert django_resque.fetch(queued.id).result == 10
    assert 0 < fake_redis.ttl(keys.job_record(queued.id)) <= 30


def test_a_failure_says_which_record_it_is(fake_redis):
    queued = support.explode.delay("bad")
    _work_next(fake_redis)
    failed = django_resque.fetch(queued.id)
    assert (failed.status, failed.exception, failed.error) == ("failed", "Boom", "bad")
    [entry] = api.page(0, 10)
    assert entry.record.payload["id"] == queued.id  # in the payload, so resque-web shows it
    assert len(failed.failure) == 12


def test_a_retry_is_scheduled_with_its_time(fake_redis):
    queued = support.retry_later.delay("again")
    _work_next(fake_redis)
    retrying = django_resque.fetch(queued.id)
    assert (retrying.status, retrying.exception) == ("retry scheduled", "Boom")
    assert retrying.run_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=50)


def test_a_scheduled_job_is_recorded_and_cancelled_out_of_the_schedule(fake_redis):
    scheduled = support.remember.enqueue_in(600, "later")
    assert django_resque.fetch(scheduled.id).status == "scheduled"
    assert django_resque.fetch(scheduled.id).run_at == scheduled.run_at
    cancelled = django_resque.cancel(scheduled.id)
    assert cancelled.status == "cancelled"
    assert fake_redis.zcard(keys.delayed_schedule()) == 0
    assert fake_redis.keys("*delayed:*") == []


def test_cancel_takes_only_that_job_from_a_time_shared_with_the_same_call(fake_redis):
    run_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=600)
    cancelled, kept = support.remember.enqueue_at(run_at, "same"), support.remember.enqueue_at(run_at, "same")
    django_resque.cancel(cancelled.id)
    assert [item.payload.id for item in delayed.items_at(int(run_at.timestamp()))] == [kept.id]
    assert fake_redis.keys("*timestamps:*%s*" % cancelled.id) == []
    assert django_resque.fetch(kept.id).status == "scheduled"


def test_each_attempt_is_counted_in_the_record_first_and_retried(fake_redis):
    queued = support.retry_later.delay("again")
    _work_next(fake_redis)
    assert django_resque.fetch(queued.id).attempt == 1
    [stamp] = delayed.timestamps()
    [item] = delayed.items_at(stamp)
    delayed.enqueue_now(stamp, item.raw)  # its retry is due
    inflight.reserve(WORKER, ["test"])
    retried = django_resque.fetch(queued.id)
    assert (retried.status, retried.attempt, retried.exception) == ("running", 2, "")


def test_a_job_waiting_for_its_retry_is_cancelled_out_of_the_schedule(fake_redis):
    queued = support.retry_later.delay("again")
    _work_next(fake_redis)
    assert django_resque.fetch(queued.id).status == "retry scheduled"
    assert delayed.count_all() == 1
    assert django_resque.cancel(queued.id).status == "cancelled"
    assert fake_redis.zcard(keys.delayed_schedule()) == 0
    assert fake_redis.keys("*delayed:*") == [] and fake_redis.keys("*timestamps:*") == []


def test_a_cancelled_queued_job_is_taken_off_its_queue_and_never_performed(fake_redis, caplog):
    queued = support.add.delay(1, 1)
    after = support.add.delay(2, 2)
    assert queued.cancel().status == "cancelled"
    with caplog.at_level("INFO", logger="django_resque.inflight"):
        reservation = inflight.reserve(WORKER, ["test"])
    assert reservation.payload["id"] == after.id  # the cancelled one was dropped on the way
    assert f"Job {queued.id} tests.support.jobs.add from test was cancelled: dropped, never performed" in caplog.text
    perform.work(reservation, WORKER)
    assert [json.loads(raw) for raw in fake_redis.lrange(support.DONE_KEY, 0, -1)] == [{"sum": 4}]
    assert django_resque.fetch(queued.id).status == "cancelled"
    assert fake_redis.get(keys.stat("processed")) == b"1"


def test_a_cancelled_unique_job_releases_its_lock(fake_redis):
    queued = support.unique_note.delay(5)
    django_resque.cancel(queued.id)
    assert inflight.reserve(WORKER, ["test"]) is None
    assert support.unique_note.delay(5).enqueued


def test_a_cancelled_job_whose_payload_is_not_a_job_is_dropped_without_harm(fake_redis):
    fake_redis.rpush(keys.queue("test"), b'{"id":"c1","args":"x"}')
    django_resque.cancel("c1")
    assert inflight.reserve(WORKER, ["test"]) is None


def test_a_taken_job_is_running_then_finished_with_its_worker_and_times(fake_redis):
    queued = support.add.delay(1, 1)
    reservation = inflight.reserve(WORKER, ["test"])
    running = django_resque.fetch(queued.id)
    assert (running.status, running.worker, running.queue, running.name, running.attempt) == (
        "running",
        WORKER,
        "test",
        support.add.name,
        1,
    )
    assert running.started_at is not None and running.finished_at is None
    perform.work(reservation, WORKER)
    done = django_resque.fetch(queued.id)
    assert (done.status, done.has_result) == ("finished", False)
    assert done.finished_at >= done.started_at
    assert 0 < fake_redis.ttl(keys.job_record(queued.id)) <= 86400


def test_finishing_in_the_next_reserve_writes_the_status_too(fake_redis):
    queued = support.add.delay(1, 1)
    reservation = inflight.reserve(WORKER, ["test"])
    perform.work(reservation, WORKER, finish_record=False)
    assert django_resque.fetch(queued.id).status == "running"
    inflight.reserve(WORKER, ["test"], inflight.Finished(reservation.record, failed=False))
    assert django_resque.fetch(queued.id).status == "finished"


def test_a_record_key_another_program_made_no_hash_is_left_alone_the_job_runs_and_reads_unknown(fake_redis):
    queued = support.add.delay(1, 1)
    fake_redis.set(keys.job_record(queued.id), b"not a hash")
    reservation = inflight.reserve(WORKER, ["test"])
    assert reservation is not None and reservation.name == support.add.name
    perform.work(reservation, WORKER, finish_record=False)
    inflight.reserve(WORKER, ["test"], inflight.Finished(reservation.record, failed=False))  # finishes it
    assert fake_redis.get(keys.job_record(queued.id)) == b"not a hash"
    assert not fake_redis.exists(keys.worker(WORKER))
    for found in (django_resque.fetch(queued.id), django_resque.cancel(queued.id)):
        assert (found.status, found.reason) == ("unknown", "its record's key holds something else (not a hash)")
    assert fake_redis.get(keys.job_record(queued.id)) == b"not a hash"


def test_a_payload_without_an_id_writes_no_record(fake_redis):
    fake_redis.rpush(keys.queue("test"), b'{"class":"tests.support.jobs.add","args":[1,2]}')
    _work_next(fake_redis)
    assert fake_redis.keys("*django_resque:job:*") == []


def test_a_job_over_is_left_as_it_is(fake_redis):
    queued = support.add.delay(1, 1)
    _work_next(fake_redis)
    django_resque.cancel(queued.id)
    assert django_resque.fetch(queued.id).status == "finished"


def test_a_running_job_is_left_alone(fake_redis):
    fake_redis.hset(keys.job_record("a" * 32), mapping={"status": "running"})
    left = django_resque.cancel("a" * 32)
    assert left.status == "running" and "kill=True" in left.reason


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "exploded"},
        {"status": "finished", "return_value": "[NaN]"},
        {"status": "finished", "return_value": "[" * 500 + "]" * 500},
        {"status": "running", "started_at": "yesterday"},
        {"status": "running", "attempt": "many", "started_at": "9" * 40},
        {"status": b"\xff\xfe"},
    ],
)
def test_a_hostile_record_reads_as_unknown_with_a_reason(fake_redis, fields):
    fake_redis.hset(keys.job_record("h" * 32), mapping=fields)
    found = django_resque.fetch("h" * 32)
    assert found.status == "unknown" and found.reason


def test_a_tasks_result_written_in_the_frameworks_words_reads_in_ours(fake_redis):
    fake_redis.hset(keys.job_record("t1"), mapping={"task": "t.f", "status": "SUCCESSFUL", "return_value": "7"})
    found = django_resque.fetch("t1")
    assert (found.status, found.name, found.result) == ("finished", "t.f", 7)


def test_always_eager_gives_a_finished_handle_with_the_value(settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    ran = support.add.delay(2, 2)
    assert (ran.status, ran.result) == ("finished", 4)


def test_wait_polls_until_over_or_times_out(fake_redis):
    queued = support.doubled.delay(1)
    with pytest.raises(TimeoutError):
        queued.wait(timeout=0.05, interval=0.01)
    _work_next(fake_redis)
    assert queued.wait(timeout=1).result == {"doubled": 2}


def test_the_log_line_names_the_job_by_its_id(fake_redis, caplog):
    queued = support.add.delay(1, 1)
    with caplog.at_level("INFO", logger="django_resque.worker.perform"):
        _work_next(fake_redis)
    assert f"Job {queued.id} tests.support.jobs.add from test done" in caplog.text


def test_status_records_expire(fake_redis):
    scheduled = support.remember.enqueue_in(100, 1)
    assert 86400 < fake_redis.ttl(keys.job_record(scheduled.id)) <= 86400 + 101
    assert status.ttl() == 86400
    assert (
        json.loads(fake_redis.lrange(keys.delayed(int(scheduled.run_at.timestamp())), 0, -1)[0])["id"] == scheduled.id
    )


def test_the_fast_queued_handle_equals_the_dataclasss_own():
    job_id = handle.new_id()
    made = handle.queued(job_id, "x", "q", "why")
    assert made == handle.JobHandle(job_id, "queued", "x", "q", "why", enqueued_at=handle.enqueued_at_of(job_id))
    assert hash(made) == hash(handle.JobHandle(**dataclasses.asdict(made)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = "finished"


def test_a_forked_child_never_makes_its_parents_ids():
    handle.new_id()  # the parent's pool of random digits is filled
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only writes its ids
        os.write(write_end, " ".join(handle.new_id()[12:] for _ in range(3)).encode())
        os._exit(0)
    os.waitpid(child, 0)
    childs = set(os.read(read_end, 4096).decode().split())
    os.close(read_end), os.close(write_end)
    parents = {handle.new_id()[12:] for _ in range(3)}
    assert len(childs) == 3 and not childs & parents


def test_ids_stay_distinct_across_refills_of_the_pool_and_threads():
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: [handle.new_id() for _ in range(300)], range(4)))
    ids = [job_id for batch in made for job_id in batch]
    assert len(set(ids)) == len(ids) == 1200 and all(len(job_id) == 32 for job_id in ids)


def test_a_queued_handle_reads_its_time_from_its_id_only_when_asked():
    job_id = handle.new_id()
    made = handle.queued(job_id, "x", "q")
    assert made.enqueued_at == handle.enqueued_at_of(job_id) == made.enqueued_at
    assert handle.JobHandle(job_id, "unknown").enqueued_at is None  # the dataclass's default stays None
    assert dataclasses.replace(made, status="x").enqueued_at == made.enqueued_at
    assert pickle.loads(pickle.dumps(made)) == made
