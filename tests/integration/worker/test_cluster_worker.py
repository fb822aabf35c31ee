"""The worker on Redis Cluster (hash-tagged namespace): reserve, wait, registry."""

from __future__ import annotations

import json
import threading

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


def test_waiter_wakes_on_a_push_to_a_cluster_queue(on_cluster):
    waiter = QueueWaiter(["a", "b"], block_seconds=20)
    timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("b", 1))
    timer.start()
    try:
        waiter.wait(timeout=20)
        assert on_cluster.llen(keys.queue("b")) == 1  # woken, and the job is still queued
    finally:
        timer.join()
        waiter.close()
