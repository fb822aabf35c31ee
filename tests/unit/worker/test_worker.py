"""The worker loop in-process (--no-fork --burst) on fakeredis."""

from __future__ import annotations

import json
import os

from django_resque import keys
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


def test_unregister_fails_a_job_left_in_the_record(fake_redis):
    worker = Worker(WorkerOptions(queues=["q"], burst=True, fork=False))
    fake_redis.set(keys.worker(worker.id), '{"queue":"q","run_at":"x","payload":{"class":"X","args":[]}}')
    worker.unregister()
    [failure] = [json.loads(raw) for raw in fake_redis.lrange(keys.failed(), 0, -1)]
    assert (failure["exception"], failure["error"]) == ("DirtyExitError", "Job still being processed")
