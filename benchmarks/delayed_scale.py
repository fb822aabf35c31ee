"""Lookups by call and by id over one large delayed bucket: client time and Redis's longest command.

    .venv/bin/python -m benchmarks.delayed_scale [JOBS]   (default 200000)

Schedules JOBS jobs (with ids, as ``enqueue_at`` writes them) for one second on a
private redis-server, one more with ``enqueue_at`` last, then times ``cancel(id)`` of
that last one and ``remove_delayed`` of one call of the same job, printing each one's
client time and the longest commands Redis ran for it (``SLOWLOG``, over 1 ms). The case
of "100,000 newsletters due at 9:00": one bucket, read by every lookup into it.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import Any

from . import ours

BATCH = 10_000


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 200_000
    with ours.on_private_server():
        import django_resque
        from django_resque import delayed
        from django_resque.connection import get_redis

        client = get_redis()
        job = ours._jobs().noop
        when = int(time.time()) + 3600
        _fill(client, job, when, count)
        last = job.enqueue_at(dt.datetime.fromtimestamp(when, dt.UTC), "last")
        client.config_set("slowlog-log-slower-than", 1000)
        _timed(client, f"cancel(id) of the last of {count:,} jobs in one bucket", lambda: django_resque.cancel(last.id))
        _timed(client, f"remove_delayed of one call over {count:,}", lambda: delayed.remove_delayed(job, count - 1))


def _fill(client: Any, job: Any, when: int, count: int) -> None:
    from django_resque import delayed, handle, keys
    from django_resque.payload import build

    for start in range(0, count, BATCH):
        items = [
            delayed.encode_item(job.queue, build(job.name, [n], job_id=handle.new_id()))
            for n in range(start, min(start + BATCH, count))
        ]
        client.rpush(keys.delayed(when), *items)
    client.zadd(keys.delayed_schedule(), {str(when): when})


def _timed(client: Any, what: str, call: Callable[[], object]) -> None:
    client.slowlog_reset()
    started = time.perf_counter()
    call()
    took = time.perf_counter() - started
    slowest = sorted(client.slowlog_get(10), key=lambda entry: -entry["duration"])[:3]
    longest = ", ".join(
        f"{entry['command'][:12].decode(errors='replace')}… {entry['duration'] / 1000:.1f} ms" for entry in slowest
    )
    print(f"{what}: {took * 1000:,.0f} ms; Redis's longest: {longest or 'none over 1 ms'}")


if __name__ == "__main__":
    main(sys.argv[1:])
