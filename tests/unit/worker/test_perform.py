"""Working one reserved job in-process: success, failure, unknown, malformed, signals."""

from __future__ import annotations

import json
import logging

import pytest

import django_resque
from django_resque import inflight, keys, signals, status
from django_resque.exceptions import JobTimeoutError
from django_resque.failure import api
from django_resque.worker import limits, perform
from django_resque.worker.limits import InlineLimits
from tests.support import jobs
from tests.support.jobs import DONE_KEY


def _reserve(client, raw: bytes) -> inflight.Reservation:
    client.rpush(keys.queue("test"), raw)
    return inflight.reserve("w:1:test", ["test"])


def _failed(client) -> list[dict]:
    return [json.loads(raw) for raw in client.lrange(keys.failed(), 0, -1)]


def test_success_finishes_the_record_and_counts(fake_redis):
    seen = []
    signals.job_finished.connect(lambda **kw: seen.append(kw["queue"]), weak=False, dispatch_uid="t1")
    try:
        got = _reserve(fake_redis, b'{"class":"tests.support.jobs.add","args":[1,2]}')
        assert perform.work(got, "w:1:test") is False
    finally:
        signals.job_finished.disconnect(dispatch_uid="t1")
    assert json.loads(fake_redis.lpop(DONE_KEY)) == {"sum": 3}
    assert fake_redis.get(keys.worker("w:1:test")) is None
    assert fake_redis.get(keys.stat("processed", "w:1:test")) == b"1"
    assert seen == ["test"]


def test_exception_becomes_a_failure_record(fake_redis):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.explode","args":["x"]}')
    assert perform.work(got, "w:1:test") is True
    [failure] = _failed(fake_redis)
    assert (failure["exception"], failure["error"], failure["worker"]) == ("Boom", "x", "w:1:test")
    assert fake_redis.get(keys.stat("failed")) == b"1"


def test_the_backtrace_starts_at_the_job_without_our_frames(fake_redis):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.explode","args":["x"]}')
    perform.work(got, "w:1:test")
    [failure] = _failed(fake_redis)
    assert failure["backtrace"][0].split("/")[-1].startswith("jobs.py:")
    assert failure["backtrace"][0].endswith(":in `explode'")
    assert not any("/django_resque/" in line for line in failure["backtrace"])


def test_an_error_of_our_own_keeps_its_frames(fake_redis):
    got = _reserve(fake_redis, b'{"args":[]}')
    perform.work(got, "w:1:test")
    assert any("/django_resque/payload.py:" in line for line in _failed(fake_redis)[0]["backtrace"])


def test_the_failed_line_of_the_log_names_the_failure_as_resque_failed_lists_it(fake_redis, caplog):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.explode","args":["x"]}')
    with caplog.at_level(logging.INFO, logger="django_resque.worker.perform"):
        perform.work(got, "w:1:test")
    listed = api.get(0).digest[:12]
    [line] = [r.getMessage() for r in caplog.records if "failed (" in r.getMessage()]
    assert line.startswith(f"Job {perform.job_label(got)} tests.support.jobs.explode from test failed (Boom: x)")
    assert f", failure {listed} in " in line


def test_unknown_name_is_never_resolved(fake_redis):
    got = _reserve(fake_redis, b'{"class":"os.system","args":["true"]}')
    assert perform.work(got, "w:1:test") is True
    assert _failed(fake_redis)[0]["exception"] == "UnknownJobError"


def test_malformed_payload_keeps_the_raw_data(fake_redis):
    got = _reserve(fake_redis, b'{"args":[]}')
    perform.work(got, "w:1:test")
    failure = _failed(fake_redis)[0]
    assert failure["exception"] == "MalformedPayloadError" and failure["payload"] == {"args": []}


def test_a_payload_too_deep_fails_with_its_text_and_queue(fake_redis):
    got = _reserve(fake_redis, b"[" * 990 + b"]" * 990)
    assert perform.work(got, "w:1:test") is True
    [failure] = _failed(fake_redis)
    assert (failure["exception"], failure["queue"]) == ("MalformedPayloadError", "test")
    assert "nested deeper than" in failure["error"]
    assert "[[[[" in failure["payload"]["raw"]
    assert fake_redis.get(keys.worker("w:1:test")) is None


def test_a_record_that_is_not_utf8_fails_with_its_text_and_queue(fake_redis):
    record = b'{"queue":"test","run_at":"x","payload":{"class":"\xff","args":[]}}'
    fake_redis.set(keys.worker("w:1:test"), record)  # as the reserve script writes it (fakeredis's cjson cannot)
    assert perform.work(inflight.parse_record(record), "w:1:test") is True
    [failure] = _failed(fake_redis)
    assert (failure["exception"], failure["queue"]) == ("MalformedPayloadError", "test")
    assert "not UTF-8" in failure["error"]
    assert failure["payload"]["raw"] == '{"queue":"test","run_at":"x","payload":{"class":"\ufffd","args":[]}}'


def test_sys_exit_in_a_job_is_a_failure(fake_redis, monkeypatch):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.add","args":[1,2]}')
    monkeypatch.setattr("tests.support.jobs.add.perform", lambda *a, **k: exit(3))
    assert perform.work(got, "w:1:test") is True
    assert _failed(fake_redis)[0]["exception"] == "SystemExit"


def test_keyboard_interrupt_raised_by_a_job_is_a_failure(fake_redis):
    """Not the worker's Ctrl-C (its handler only sets a flag): a job raising it failed."""
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.raise_base","args":["KeyboardInterrupt"]}')
    assert perform.work(got, "w:1:test") is True
    assert _failed(fake_redis)[0]["exception"] == "KeyboardInterrupt"
    assert fake_redis.get(keys.worker("w:1:test")) is None


def test_inline_limits_interrupt_a_long_job(fake_redis):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.sleepy","args":[30]}')
    assert perform.work(got, "w:1:test", limits=InlineLimits(0.2, got.name)) is True
    assert _failed(fake_redis)[0]["exception"] == JobTimeoutError.__name__


def test_timeout_precedence(settings):
    settings.RESQUE = {**settings.RESQUE, "JOB_TIMEOUT": 9}
    own = inflight.Reservation("test", b"", {"class": "tests.support.jobs.overrun", "args": []})
    other = inflight.Reservation("test", b"", {"class": "tests.support.jobs.add", "args": []})
    assert limits.timeout_for(own, 5) == 1
    assert limits.timeout_for(other, 5) == 5
    assert limits.timeout_for(other, None) == 9


def test_inline_limits_touch_sigalrm_only_when_a_limit_is_armed():
    import signal
    import time

    from django_resque.exceptions import JobTerminatedError

    def own(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, own)
    try:
        with InlineLimits(None, "free"):
            assert signal.getsignal(signal.SIGALRM) is own
        assert signal.getsignal(signal.SIGALRM) is own
        with pytest.raises(JobTerminatedError), InlineLimits(None, "stopped") as limits:
            limits.terminate_after(0.01, "SIGTERM")
            time.sleep(2)
        assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


# Results handed to whoever finishes the record (fork per job, --no-fork) -----------------


def _reserve_job(job, *args) -> tuple[str, inflight.Reservation]:
    queued = job.delay(*args)
    return queued.id, inflight.reserve("w:1:test", ["test"])


def test_a_result_handed_back_is_not_stored_until_the_record_is_finished_with_it(fake_redis):
    job_id, got = _reserve_job(jobs.doubled, 21)
    finished = perform.work_and_hand_back(got, "w:1:test", hand_up_to=100)
    assert finished == inflight.Finished(got.record, False, status.Result(job_id, '{"doubled":42}', 600))
    assert django_resque.fetch(job_id).status == "running"  # nothing written by the job's side
    inflight.reserve("w:1:test", ["test"], finished)
    done = django_resque.fetch(job_id)
    assert (done.status, done.result) == ("finished", {"doubled": 42})
    assert 590 < fake_redis.ttl(keys.job_record(job_id)) <= 600  # the result's TTL, not STATUS_TTL


def test_a_result_too_large_to_hand_back_is_stored_by_the_job_process(fake_redis):
    job_id, got = _reserve_job(jobs.sized, 101)
    finished = perform.work_and_hand_back(got, "w:1:test", hand_up_to=100)
    assert finished.result is None
    assert django_resque.fetch(job_id).result == "x" * 101
    inflight.reserve("w:1:test", ["test"], finished)  # the record finished as before: the result stays
    assert (django_resque.fetch(job_id).status, django_resque.fetch(job_id).result) == ("finished", "x" * 101)


@pytest.mark.parametrize(("length", "limit", "handed"), [(98, 100, True), (99, 100, False), (10_000, None, True)])
def test_the_bound_counts_the_result_in_bytes_and_none_is_no_bound(fake_redis, length, limit, handed):
    _job_id, got = _reserve_job(jobs.sized, length)  # JSON: two quotes more
    assert (perform.work_and_hand_back(got, "w:1:test", hand_up_to=limit).result is not None) is handed


def test_a_result_that_is_not_json_is_a_warning_and_nothing_is_handed_back(fake_redis, monkeypatch, caplog):
    job_id, got = _reserve_job(jobs.doubled, 1)
    monkeypatch.setattr("tests.support.jobs.doubled.perform", lambda *a, **k: {1, 2})
    with caplog.at_level(logging.WARNING, logger="django_resque.worker.perform"):
        finished = perform.work_and_hand_back(got, "w:1:test", hand_up_to=100)
    assert finished == inflight.Finished(got.record, False)
    assert "returned a value that is not JSON; no result kept" in caplog.text
    inflight.reserve("w:1:test", ["test"], finished)
    assert (django_resque.fetch(job_id).status, django_resque.fetch(job_id).has_result) == ("finished", False)


def test_a_failed_job_hands_back_no_result(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "RESULT_TTL": 600}
    job_id, got = _reserve_job(jobs.explode, "x")
    finished = perform.work_and_hand_back(got, "w:1:test", hand_up_to=100)
    assert finished == inflight.Finished(got.record, True)
    assert django_resque.fetch(job_id).status == "failed"


def test_work_leaving_the_record_still_stores_the_result_itself(fake_redis):
    """``--jobs-per-fork`` children finish their records themselves; a caller of work() has no hand-back."""
    job_id, got = _reserve_job(jobs.doubled, 2)
    assert perform.work(got, "w:1:test", finish_record=False) is False
    assert django_resque.fetch(job_id).result == {"doubled": 4}


@pytest.mark.parametrize(("level", "labelled"), [(logging.INFO, 1), (logging.WARNING, 0)])
def test_the_jobs_label_is_worked_out_only_for_the_log_lines_that_show_it(
    fake_redis, monkeypatch, caplog, level, labelled
):
    got = _reserve(fake_redis, b'{"class":"tests.support.jobs.add","args":[1,2]}')
    calls = []
    label = perform.job_label
    monkeypatch.setattr(perform, "job_label", lambda reservation: (calls.append(1), label(reservation))[1])
    with caplog.at_level(level, logger="django_resque.worker.perform"):
        perform.work(got, "w:1:test")
    assert len(calls) == labelled  # once for the start and end lines, when shown; never at -v 0
    if labelled:
        assert f"Job {label(got)} tests.support.jobs.add from test started" in caplog.messages
