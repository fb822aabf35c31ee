"""Memory: the worker parent's RSS stays flat over many jobs, in fork and --no-fork mode.

Measured, not tightly asserted: the bound is generous (the figures are in
docs/reliability.md). Short form: RSS at 1,000 and 3,000 jobs; long form
(RESQUE_CHAOS=long): at 1,000 and 50,000.
"""

from __future__ import annotations

import json
import signal

import pytest

from django_resque import keys
from tests.integration.worker.conftest import wait_until
from tests.support import jobs

from .conftest import LONG, rss_kib

FIRST, LAST = 1_000, (50_000 if LONG else 3_000)
GROWTH_LIMIT_KIB = 16 * 1024


def processed(client) -> int:
    return int(client.get(keys.stat("processed")) or 0)


@pytest.mark.parametrize("mode", ["fork", "no-fork"])
def test_worker_parent_rss_stays_flat(real_redis, start_worker, mode):
    for start in range(0, LAST, 10_000):
        jobs.noop.delay_many([()] * min(10_000, LAST - start))
    args = ("--no-fork",) if mode == "no-fork" else ()
    worker = start_worker("--queues", "test", *args)
    deadline = 900 if LONG else 120
    wait_until(lambda: processed(real_redis) >= FIRST, timeout=deadline, what=f"{FIRST} jobs")
    at_first = rss_kib(worker.pid)
    wait_until(lambda: processed(real_redis) >= LAST, timeout=deadline, what=f"{LAST} jobs")
    at_last = rss_kib(worker.pid)
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0, worker.output()
    print("\nworker RSS:", json.dumps({"mode": mode, f"at_{FIRST}_kib": at_first, f"at_{LAST}_kib": at_last}))
    assert real_redis.llen(keys.failed()) == 0
    assert at_last - at_first < GROWTH_LIMIT_KIB, (at_first, at_last)
