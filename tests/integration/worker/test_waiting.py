"""The blocking wait on a real Redis: wakes on a push, takes nothing, honours timeouts."""

from __future__ import annotations

import os
import threading
import time

from django_resque import keys
from django_resque.worker.waiting import QueueWaiter
from tests.support import jobs


def test_wakes_on_a_push_to_any_watched_queue_without_taking_it(real_redis):
    waiter = QueueWaiter(["a", "b", "c"], block_seconds=20)
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


def test_wildcard_watches_known_queues(real_redis):
    jobs.remember.enqueue_to("known", 0)
    real_redis.delete(keys.queue("known"))
    waiter = QueueWaiter(["*"], block_seconds=20)
    timer = threading.Timer(0.3, lambda: jobs.remember.enqueue_to("known", 1))
    timer.start()
    try:
        waiter.wait(timeout=20)
        assert real_redis.llen(keys.queue("known")) == 1
    finally:
        timer.join()
        waiter.close()


def test_returns_on_timeout_or_wake_fd(real_redis):
    waiter = QueueWaiter(["empty"], block_seconds=20)
    read_fd, write_fd = os.pipe()
    try:
        waiter.wait(timeout=0.05)
        os.write(write_fd, b"x")
        started = time.monotonic()
        waiter.wait(timeout=20, wake_fds=(read_fd,))
        assert time.monotonic() - started < 15
    finally:
        waiter.close()
        os.close(read_fd)
        os.close(write_fd)
