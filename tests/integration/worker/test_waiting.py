"""Waiting for jobs on a real Redis: one subscription whatever the queues, woken by our pushes."""

from __future__ import annotations

import os
import threading
import time

from django_resque import capacity, keys
from django_resque.worker import waiting
from django_resque.worker.waiting import QueueWaiter
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs

from .conftest import done, title_has, wait_until


def _subscribed(waiter: QueueWaiter) -> QueueWaiter:
    waiter.wait(timeout=0)  # the first wait subscribes and returns at once
    return waiter


def test_wakes_on_a_push_onto_an_empty_watched_queue_without_taking_it(real_redis):
    waiter = _subscribed(QueueWaiter(["a", "b", "c"], interval=20))
    timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("c", 1))
    timer.start()
    try:
        started = time.monotonic()
        waiter.wait(timeout=20)
        assert time.monotonic() - started < 15
        assert real_redis.llen(keys.queue("c")) == 1
    finally:
        timer.join()
        waiter.close()


def test_a_glob_sees_a_queue_created_while_it_waits(real_redis):
    waiter = _subscribed(QueueWaiter(["tenant-*"], interval=20))
    timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("tenant-new", 1))
    timer.start()
    try:
        started = time.monotonic()
        waiter.wait(timeout=20)
        assert time.monotonic() - started < 15
    finally:
        timer.join()
        waiter.close()


def test_returns_the_watched_queues_announced_in_priority_order(real_redis):
    """Only those, so the worker's reserve looks at them alone; anything else published is ignored."""
    waiter = _subscribed(QueueWaiter(["high", "mail-*", "low"], interval=20))
    try:
        for queue in ("low", "mail-b", "other", "high", "mail-a"):
            jobs.remember.enqueue_to(queue, 1)
        for hostile in (b"\xff\xfe", "mail-*", "*"):
            real_redis.publish(keys.wake_channel(), hostile)
        assert waiter.wait(timeout=20) == ["high", "mail-a", "mail-b", "low"]
    finally:
        waiter.close()


def test_returns_no_names_after_subscribing_or_past_max_announced(real_redis, monkeypatch):
    """The worker then looks at every queue (a timeout or a wake fd: the test below)."""
    waiter = QueueWaiter(["q-*"], interval=20)
    try:
        assert waiter.wait(timeout=0) == []
        monkeypatch.setattr(waiting, "MAX_ANNOUNCED", 2)
        for queue in ("q-1", "q-2", "q-3"):
            jobs.remember.enqueue_to(queue, 1)
        assert waiter.wait(timeout=20) == []
    finally:
        waiter.close()


def test_pushes_onto_other_queues_do_not_wake_it(real_redis):
    waiter = _subscribed(QueueWaiter(["mine"], interval=20))
    try:
        jobs.remember.enqueue_to("other", 1)
        started = time.monotonic()
        waiter.wait(timeout=0.5)
        assert time.monotonic() - started >= 0.45
    finally:
        waiter.close()


def test_returns_on_timeout_or_wake_fd(real_redis):
    waiter = _subscribed(QueueWaiter(["empty"], interval=20))
    read_fd, write_fd = os.pipe()
    try:
        assert waiter.wait(timeout=0.05) == []  # no names: the worker looks at every queue
        os.write(write_fd, b"x")
        started = time.monotonic()
        assert waiter.wait(timeout=20, wake_fds=(read_fd,)) == []
        assert time.monotonic() - started < 15
    finally:
        waiter.close()
        os.close(read_fd)
        os.close(write_fd)


def test_subscribes_again_after_the_server_drops_it(real_redis):
    waiter = _subscribed(QueueWaiter(["q"], interval=20))
    try:
        real_redis.client_kill_filter(_type="pubsub")
        waiter.wait(timeout=5)  # reads the end of file: the subscription is gone
        waiter.wait(timeout=5)  # subscribes again, and returns for a reserve
        timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("q", 1))
        timer.start()
        started = time.monotonic()
        waiter.wait(timeout=20)
        timer.join()
        assert time.monotonic() - started < 15
    finally:
        waiter.close()


def test_a_full_server_is_said_once_and_the_waiter_polls(real_redis, caplog):
    capacity.connected()
    real_redis.config_set("maxclients", len(real_redis.client_list()))  # no room for one more
    try:
        waiter = QueueWaiter(["q"], interval=0.2)
        for _ in range(3):
            started = time.monotonic()
            waiter.wait(timeout=0.2)
            assert time.monotonic() - started >= 0.15  # polls: no subscription, no spin
        said = [record.getMessage() for record in caplog.records if "refuses new connections" in record.getMessage()]
        assert len(said) == 1
        assert "maxclients" in said[0] and "2 connections" in said[0]
    finally:
        real_redis.config_set("maxclients", 10000)
        capacity.connected()


def test_a_worker_on_a_full_server_says_what_it_needs_once_and_polls(real_redis, start_worker):
    before = {int(entry["id"]) for entry in real_redis.client_list()}
    real_redis.config_set("maxclients", len(before) + 1)  # room for the worker's commands only
    try:
        worker = start_worker("--queues", "q", "--interval", "1")
        wait_until(lambda: "refuses new connections" in worker.output(), what="the worker to say so")
        real_redis.rpush(keys.queue("q"), jobs.remember.payload("polled").encode())  # as Ruby: no announcement
        # Taken within the interval (its job process, with no room to connect, fails).
        wait_until(lambda: real_redis.llen(keys.queue("q")) == 0, timeout=10, what="the job, found by polling")
        time.sleep(1.5)  # more refused subscriptions: said once
    finally:
        real_redis.config_set("maxclients", 10000)
    output = worker.output()
    said = [line for line in output.splitlines() if f" {worker.pid} " in line and "refuses new connections" in line]
    assert len(said) == 1, output  # the worker's; its job process, which could not connect either, says its own
    assert "its maxclients (%d)" % (len(before) + 1) in output and "1 registered worker needs about 2" in output, output
    assert "worker.worker: Redis unreachable" not in output, output  # the worker's loop: said once, above


def _connections_of_worker(client, before: set[int]) -> list[dict]:
    """Clients the server holds that were not there before the worker started (ours excluded)."""
    return [entry for entry in client.client_list() if int(entry["id"]) not in before]


def test_a_worker_on_a_thousand_queues_holds_two_connections_and_takes_a_job_at_once(real_redis, start_worker):
    names = [f"tenant-{n:04d}" for n in range(1000)]
    real_redis.sadd(keys.queues(), *names)
    before = {int(entry["id"]) for entry in real_redis.client_list()}
    worker = start_worker("--queues", "*", "--interval", "30")
    wait_until(lambda: title_has(worker.pid, b"Waiting for"), what="the worker to wait")
    wait_until(
        lambda: any(e["cmd"] == "subscribe" for e in _connections_of_worker(real_redis, before)), what="subscribed"
    )
    held = _connections_of_worker(real_redis, before)
    assert len(held) <= 2, held
    started = time.monotonic()
    jobs.remember.enqueue_to(names[-1], "last")
    wait_until(lambda: done(real_redis), timeout=10, what="the job, long before the 30 s interval")
    assert time.monotonic() - started < 10
    assert done(real_redis)[0]["value"] == "last"
    assert real_redis.llen(keys.queue(names[-1])) == 0


def test_a_worker_hears_kill_requests_before_its_first_reserve(real_redis):
    """A job it takes at once (a backlog at start) can be cancelled with kill=True."""
    worker = Worker(WorkerOptions(queues=["test"], fork=False))
    worker.startup()
    try:
        # Another test's worker may still be subscribed: ask ours whether it heard the request.
        assert real_redis.publish(keys.kill_channel(), "job-to-end") >= 1
        assert wait_until(lambda: worker.waiter.take_kill_request("job-to-end"), timeout=5, what="the kill request")
    finally:
        worker.shutdown()
