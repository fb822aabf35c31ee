"""Failures end to end with real processes: record, retry by hand, retry policy with the scheduler."""

from __future__ import annotations

import signal

from django_resque.failure import api
from tests.support import jobs

from .conftest import done, failures, wait_until


def test_a_failure_recorded_by_the_worker_is_retried_by_hand_and_succeeds(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    handle = jobs.fails_until_flag.delay("test:flag")
    wait_until(lambda: failures(real_redis), what="the failure record")
    [failure] = failures(real_redis)
    assert failure["exception"] == "Boom" and failure["queue"] == "test"
    assert failure["payload"] == {"class": jobs.fails_until_flag.name, "args": ["test:flag"], "id": handle.id}
    real_redis.set("test:flag", "1")
    api.retry(0, real_redis.lindex("resque:failed", 0))
    wait_until(lambda: done(real_redis), what="the retried job to succeed")
    assert done(real_redis) == [{"flagged": "test:flag"}]
    assert "retried_at" in failures(real_redis)[0]  # the record stays, stamped, as Ruby keeps it
    # The worker counts the job as processed in its next reserve, after the job's note.
    wait_until(lambda: real_redis.get("resque:stat:processed") == b"2", what="the processed count")
    assert real_redis.get("resque:stat:failed") == b"1"
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0, worker.output()


def test_a_retry_policy_runs_through_worker_and_scheduler_until_it_gives_up(real_redis, start_worker):
    start_worker("--queues", "test")
    start_worker("--interval", "0.2", command="resque_scheduler")
    jobs.gives_up.delay("never")
    wait_until(lambda: failures(real_redis), what="the final failure")
    runs = [note for note in done(real_redis) if "gives_up" in note]
    assert len(runs) == 3  # the first run and two retries, each moved back by the scheduler
    [failure] = failures(real_redis)
    assert failure["exception"] == "Boom" and failure["attempts"] == 3
    assert failure["payload"]["class"] == jobs.gives_up.name
    assert real_redis.zcard("resque:delayed_queue_schedule") == 0
