"""The parent's watch over one job process: what it learns from the messages and the exit."""

from __future__ import annotations

import os
import signal

import pytest

from django_resque import keys
from django_resque.exceptions import DirtyExitError, JobTimeoutError
from django_resque.inflight import Finished, parse_record
from django_resque.status import Result
from django_resque.worker.fork import JobProcess
from django_resque.worker.watch import ChildWatch
from django_resque.worker.worker import Worker, WorkerOptions

RECORD = b'{"queue":"test","run_at":"x","payload":{"class":"tests.support.jobs.noop","args":[]}}'


def _watch(target, handed: bool = False, **options) -> ChildWatch:
    worker = Worker(WorkerOptions(queues=["test"], **options))
    worker.flags.install()
    process = JobProcess.spawn(target)
    watch = ChildWatch(worker, process, parse_record(RECORD), None)
    watch.received = not handed  # as the worker marks a pre-forked process it handed the job
    try:
        watch.run()
    finally:
        process.close()
        worker.flags.close()
    return watch


def _received_then_done(channel):
    channel.received()
    channel.done()
    os._exit(0)


def test_a_job_reported_done_is_not_in_flight_and_was_received():
    watch = _watch(_received_then_done, handed=True, jobs_per_fork=2)
    assert watch.received and not watch.in_flight and watch.process.status == 0


def _handed_back_then_crashed(channel):
    channel.received()
    channel.done(failed=False)
    os._exit(3)


def test_a_job_handed_back_is_the_parents_to_finish_even_if_the_child_then_crashes(fake_redis, monkeypatch):
    worker = Worker(WorkerOptions(queues=["test"], prefork=False))
    fake_redis.set(keys.worker(worker.id), RECORD)
    monkeypatch.setattr(worker.jobs, "start", lambda *_: (JobProcess.spawn(_handed_back_then_crashed), True))
    monkeypatch.setattr(worker, "recover_from_child", lambda _watch: pytest.fail("a finished job was recovered"))
    worker.flags.install()
    try:
        worker.fork_and_watch(parse_record(RECORD))
        worker.jobs.reap_exiting(block=True)
    finally:
        worker.flags.close()
    assert worker.finished == Finished(RECORD, failed=False)
    assert fake_redis.get(keys.worker(worker.id)) == RECORD  # until the next reserve finishes it


def test_a_pre_forked_process_dying_silently_never_received_its_job():
    watch = _watch(lambda channel: os.kill(os.getpid(), signal.SIGKILL), handed=True)
    assert watch.in_flight and not watch.received
    assert isinstance(watch.exit_error(), DirtyExitError) and "SIGKILL" in str(watch.exit_error())


def test_a_timed_out_job_says_so():
    watch = _watch(lambda channel: os._exit(0))
    watch.limits.timed_out, watch.limits.timeout = True, 2
    assert isinstance(watch.exit_error(), JobTimeoutError)


RECORD_WITH_ID = b'{"queue":"test","run_at":"x","payload":{"class":"tests.support.jobs.doubled","args":[1],"id":"j1"}}'


def _handed_back_with_garbage_first(channel):
    channel.received()
    os.write(channel.to_parent, b"\xff garbage\ns 1e999\nd 7\n")  # a dying process's, say
    channel.done(failed=False, value='{"doubled":2}', seconds=600)
    os._exit(0)


def _handed_back_failed(channel):
    channel.received()
    channel.done(failed=True, value='{"doubled":2}', seconds=600)
    os._exit(0)


def _watch_record(target, record: bytes) -> ChildWatch:
    worker = Worker(WorkerOptions(queues=["test"]))
    worker.flags.install()
    process = JobProcess.spawn(target)
    watch = ChildWatch(worker, process, parse_record(record), None)
    try:
        watch.run()
        process.reap(block=True)
    finally:
        process.close()
        worker.flags.close()
    return watch


def test_a_result_handed_back_is_kept_for_the_reserved_jobs_id_garbage_notwithstanding():
    watch = _watch_record(_handed_back_with_garbage_first, RECORD_WITH_ID)
    assert watch.handed_back == Finished(RECORD_WITH_ID, False, Result("j1", '{"doubled":2}', 600))


def test_no_result_is_kept_for_a_failed_job_or_a_payload_without_an_id():
    assert _watch_record(_handed_back_failed, RECORD_WITH_ID).handed_back == Finished(RECORD_WITH_ID, True)
    assert _watch_record(_handed_back_with_garbage_first, RECORD).handed_back == Finished(RECORD, False)
