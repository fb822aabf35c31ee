"""The worker on Redis Cluster (hash-tagged namespace): reserve, wait, registry."""

from __future__ import annotations

import json
import threading
import time

import pytest

from django_resque import keys
from django_resque.worker.waiting import QueueWaiter
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs


@pytest.fixture(autouse=True)
def _no_done_records(on_cluster):
    on_cluster.delete(jobs.DONE_KEY)


def test_no_fork_burst_worker_on_a_cluster(on_cluster):
    jobs.remember.enqueue_to("low", "l")
    jobs.remember.enqueue_to("high", "h")
    Worker(WorkerOptions(queues=["high", "low"], burst=True, fork=False)).work()
    assert [json.loads(raw)["value"] for raw in on_cluster.lrange(jobs.DONE_KEY, 0, -1)] == ["h", "l"]
    assert on_cluster.get(keys.stat("processed")) == b"2"
    assert on_cluster.smembers(keys.workers()) == set()
    now = int(on_cluster.time()[0])  # the history too (this minute and the last: it may have turned)
    minutes = [on_cluster.hgetall(keys.history("minute", now - now % 60 - back)) for back in (0, 60)]
    assert [sum(int(m.get(f"processed:{q}".encode(), 0)) for m in minutes) for q in ("high", "low")] == [1, 1]
    assert on_cluster.exists(keys.history_writers())


def test_waiter_wakes_on_a_push_to_a_cluster_queue(on_cluster):
    waiter = QueueWaiter(["a", "b"], interval=20)
    waiter.wait(timeout=0)  # subscribes
    timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("b", 1))
    timer.start()
    try:
        started = time.monotonic()
        waiter.wait(timeout=20)
        assert time.monotonic() - started < 15
        assert on_cluster.llen(keys.queue("b")) == 1  # woken, and the job is still queued
    finally:
        timer.join()
        waiter.close()


def test_enqueue_many_on_a_cluster_announces_after_its_pipeline(on_cluster):
    subscription = on_cluster.pubsub()
    subscription.subscribe(keys.wake_channel())
    try:
        assert subscription.get_message(timeout=5)["type"] == "subscribe"
        jobs.remember.delay_many([(1,), (2,)])
        message = subscription.get_message(timeout=5)
        assert message is not None and message["data"] == b"test"
    finally:
        subscription.close()
