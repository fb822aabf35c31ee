"""The worker loop in-process (--no-fork --burst) on fakeredis."""

from __future__ import annotations

import json
import logging
import os
import time

import pytest
import redis
import setproctitle

import django_resque
from django_resque import inflight, keys, pruning, workers
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs


def test_no_fork_burst_works_in_priority_order_and_unregisters(fake_redis):
    jobs.remember.enqueue_to("low", "l")
    jobs.remember.enqueue_to("high", "h")
    jobs.explode.enqueue_to("low", "boom")
    Worker(WorkerOptions(queues=["high", "low"], burst=True, fork=False)).work()
    notes = [json.loads(raw) for raw in fake_redis.lrange(jobs.DONE_KEY, 0, -1)]
    assert [n["value"] for n in notes] == ["h", "l"]
    assert {n["pid"] for n in notes} == {os.getpid()}
    assert fake_redis.get(keys.stat("processed")) == b"3"
    assert fake_redis.get(keys.stat("failed")) == b"1"
    assert fake_redis.smembers(keys.workers()) == set()


def test_the_title_says_resque_before_the_worker_registers(fake_redis, monkeypatch):
    """Else a sibling starting on this host (a pool's) prunes it as a process that is not Resque's."""
    setproctitle.setproctitle("resque-pool-manager: managing []")
    seen = []
    monkeypatch.setattr(workers, "register", lambda worker_id: seen.append(setproctitle.getproctitle()))
    Worker(WorkerOptions(queues=["q"], burst=True, fork=False)).register()
    assert pruning.RESQUE_TITLE.search(seen[0].encode()) and seen[0].endswith(": Starting")


def test_unregister_fails_a_job_left_in_the_record(fake_redis):
    worker = Worker(WorkerOptions(queues=["q"], burst=True, fork=False))
    fake_redis.set(keys.worker(worker.id), '{"queue":"q","run_at":"x","payload":{"class":"X","args":[]}}')
    worker.unregister()
    [failure] = [json.loads(raw) for raw in fake_redis.lrange(keys.failed(), 0, -1)]
    assert (failure["exception"], failure["error"]) == ("Resque::DirtyExit", "Job still being processed")


def test_no_spare_is_forked_when_prefork_is_off_shutting_down_or_before_fork_is_listened_to(fake_redis):
    from django_resque.signals import before_fork

    off = Worker(WorkerOptions(queues=["q"], prefork=False))
    off.jobs.fork_spare()
    stopping = Worker(WorkerOptions(queues=["q"]))
    stopping.intent.shutdown = True
    stopping.jobs.fork_spare()
    listened = Worker(WorkerOptions(queues=["q"]))

    def receiver(**kwargs):
        pass

    before_fork.connect(receiver)
    try:
        listened.jobs.fork_spare()
    finally:
        before_fork.disconnect(receiver)
    assert off.jobs.spare is None and stopping.jobs.spare is None and listened.jobs.spare is None


RECORD = b'{"queue":"q","run_at":"x","payload":{"class":"tests.support.jobs.noop","args":[]}}'
OTHER = b'{"queue":"q","run_at":"y","payload":{"class":"tests.support.jobs.noop","args":[1]}}'


def _worker_with_finished_job(fake_redis, stored: bytes | None) -> Worker:
    worker = Worker(WorkerOptions(queues=["q"], burst=True, fork=False))
    worker.finished = inflight.Finished(RECORD, failed=False)
    if stored is not None:
        fake_redis.set(keys.worker(worker.id), stored)
    return worker


def test_a_lost_call_that_never_ran_keeps_the_finished_job_for_the_next_reserve(fake_redis, monkeypatch):
    worker = _worker_with_finished_job(fake_redis, RECORD)
    monkeypatch.setattr(worker, "process", lambda reservation: pytest.fail("a finished job ran again"))
    worker.resume_orphan()
    assert worker.finished == inflight.Finished(RECORD, failed=False)
    worker.work()
    assert fake_redis.get(keys.worker(worker.id)) is None and fake_redis.get(keys.stat("processed")) == b"1"


def test_a_lost_call_that_ran_and_reserved_a_job_works_that_job(fake_redis, monkeypatch):
    worker = _worker_with_finished_job(fake_redis, OTHER)
    worked = []
    monkeypatch.setattr(worker, "process", worked.append)
    worker.resume_orphan()
    assert worker.finished is None and [job.record for job in worked] == [OTHER]


def test_a_lost_call_that_ran_and_found_nothing_forgets_the_finished_job(fake_redis):
    worker = _worker_with_finished_job(fake_redis, None)
    worker.resume_orphan()
    assert worker.finished is None


def test_pausing_finishes_the_last_job_at_once(fake_redis, monkeypatch):
    worker = _worker_with_finished_job(fake_redis, RECORD)
    worker.intent.paused = worker.intent.pause_changed = True
    monkeypatch.setattr(worker, "idle", lambda seconds: None)
    worker.step()
    assert worker.finished is None and fake_redis.get(keys.worker(worker.id)) is None
    assert fake_redis.get(keys.stat("processed")) == b"1"


def test_stopping_finishes_the_last_job_instead_of_failing_it(fake_redis):
    worker = _worker_with_finished_job(fake_redis, RECORD)
    worker.unregister()
    assert fake_redis.llen(keys.failed()) == 0 and fake_redis.get(keys.stat("processed")) == b"1"


def test_database_connections_are_closed_before_a_fork_only_when_one_was_opened(fake_redis, monkeypatch):
    from django.db import connection, connections
    from django.db.backends.signals import connection_created

    closed = []
    real_close_all = connections.close_all
    monkeypatch.setattr(connections, "close_all", lambda: (closed.append(1), real_close_all()))
    worker = Worker(WorkerOptions(queues=["q"]))
    worker.jobs.has_forked = True
    worker.jobs.before_forking()
    worker.jobs.before_forking()
    assert closed == [1]  # once at first (anything may have connected before), then nothing to close
    connection_created.send(type(connection), connection=connection)  # e.g. a failure backend's query
    worker.jobs.before_forking()
    assert closed == [1, 1]


def test_without_a_working_fork_server_the_worker_forks_its_spares_and_retries_later(fake_redis, monkeypatch):
    from django_resque.exceptions import ForkServerGoneError
    from django_resque.worker import fork_server
    from django_resque.worker.fork import JobProcess
    from django_resque.worker.fork_server import ForkServer

    monkeypatch.setattr(fork_server, "supported", lambda: True)
    monkeypatch.setattr(JobProcess, "spawn", classmethod(lambda cls, target, close_in_child=(): "forked here"))

    def cannot_start(*args, **kwargs):
        raise OSError("Resource temporarily unavailable")

    class Gone:
        pid, stopped = 1, False

        def spawn(self):
            raise ForkServerGoneError("it closed the socket")

        def stop(self):
            self.stopped = True

    worker = Worker(WorkerOptions(queues=["q"]))
    monkeypatch.setattr(ForkServer, "start", cannot_start)
    assert worker.jobs.spawn_spare(None) == "forked here"
    first_retry = worker.jobs.fork_server_due
    assert worker.jobs.fork_server is None and first_retry > time.monotonic()
    worker.jobs.fork_server = gone = Gone()
    assert worker.jobs.spawn_spare(None) == "forked here"
    assert gone.stopped and worker.jobs.fork_server is None
    assert worker.jobs.fork_server_due - first_retry > 0.5  # 1 s, then 2 s: not started on every spare


@pytest.mark.parametrize(
    "error",
    [
        redis.ResponseError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."),
        redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        RecursionError("maximum recursion depth exceeded"),
        KeyError("x"),
    ],
)
def test_any_error_in_a_step_is_logged_and_backed_off_and_the_worker_stays_registered(
    fake_redis, monkeypatch, caplog, error
):
    worker = Worker(WorkerOptions(queues=["q"], fork=False, interval=0.01))
    worker.register()
    calls = []

    def failing_reserve(*args, **kwargs):
        calls.append(1)
        raise error

    monkeypatch.setattr(inflight, "reserve", failing_reserve)
    monkeypatch.setattr(worker, "idle", lambda seconds: calls.append(seconds))
    assert worker.step() is True and worker.step() is True
    assert calls == [1, 0.5, 1, 1.0]  # backed off, longer each time
    assert worker.check_orphan
    assert fake_redis.sismember(keys.workers(), worker.id)
    assert repr(error)[:20] in caplog.text or str(error)[:20] in caplog.text


def test_an_error_while_pruning_others_does_not_stop_the_heartbeat(fake_redis, monkeypatch, caplog):
    worker = Worker(WorkerOptions(queues=["q"], fork=True))
    monkeypatch.setattr(pruning, "prune_dead_workers", lambda *args: {}["boom"])
    worker.heartbeat.tick()
    assert fake_redis.hexists(keys.heartbeats(), worker.id)
    assert "could not prune dead workers" in caplog.text


def test_redis_coming_back_is_logged_once(fake_redis, monkeypatch, caplog):
    """The worker says when Redis went away (each retry) and when it came back (once)."""
    worker = Worker(WorkerOptions(queues=["q"], burst=True, fork=False))
    real_reserve, calls = inflight.reserve, []

    def away_twice(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise redis.ConnectionError("Connection refused")
        return real_reserve(*args, **kwargs)

    monkeypatch.setattr(inflight, "reserve", away_twice)
    monkeypatch.setattr(worker, "idle", lambda seconds: None)
    with caplog.at_level(logging.INFO, logger="django_resque.worker"):
        worker.work()
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Redis unreachable" in message for message in messages) == 2
    assert [m for m in messages if "reachable again" in m] == [
        "Redis reachable again after 2 failed tries; working again"
    ]


def test_until_done_says_when_redis_came_back(caplog, monkeypatch):
    from django_resque import reconnect

    monkeypatch.setattr(reconnect.time, "sleep", lambda seconds: None)
    answers = iter([redis.ConnectionError("down"), "ok"])

    def action():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with caplog.at_level(logging.INFO, logger="django_resque.reconnect"):
        assert reconnect.until_done(action, "recording a failure") == "ok"
    assert "Redis reachable again after 1 failed tries; recording a failure done" in caplog.text


def test_after_an_announcement_it_reserves_over_the_announced_queues_once(fake_redis, monkeypatch):
    """Then all its queues again: after a job, after finding nothing there, after an error."""
    worker = Worker(WorkerOptions(queues=["a", "b", "c"], burst=False, fork=False))
    asked = []
    replies = iter([None, RuntimeError("lost"), None])

    def fake_reserve(worker_id, queues, finished=None):
        asked.append(list(queues))
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    monkeypatch.setattr(inflight, "reserve", fake_reserve)
    monkeypatch.setattr(worker.waiter, "wait", lambda timeout, fds=(): ["c"])
    monkeypatch.setattr(worker, "idle", lambda seconds: None)
    worker.step()  # everything: nothing found, it waits and hears of "c"
    worker.step()  # "c" alone: the error spends it
    worker.step()  # everything again
    assert asked == [["a", "b", "c"], ["c"], ["a", "b", "c"]]


def test_no_fork_passes_a_result_to_its_own_next_reserve(fake_redis, monkeypatch):
    queued = jobs.doubled.delay(3)
    worker = Worker(WorkerOptions(queues=["test"], burst=True, fork=False))
    stored = []
    monkeypatch.setattr("django_resque.status.mark_result", lambda *args: stored.append(args))
    worker.perform_inline(inflight.reserve(worker.id, ["test"]))
    assert worker.finished.result.encoded == '{"doubled":6}' and stored == []
    worker.work()
    assert django_resque.fetch(queued.id).result == {"doubled": 6}
