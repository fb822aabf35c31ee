"""Time the failure API's bulk changes on a failed list of N records, on a real Redis.

.venv/bin/python benchmarks/failures_bulk.py [N]     (default 100000; needs redis-server)

Starts a private redis-server, fills ``resque:failed`` with N Ruby-format records
(every other one OSError), then times count, a filtered page, retry_all of one
exception class, retry_all of everything, remove_many of half the list, and clear.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def _fill(client, n: int) -> None:
    from django_resque import keys
    from django_resque.failure.record import FailureRecord

    pipe = client.pipeline(transaction=False)
    for index in range(n):
        record = FailureRecord(
            failed_at="2026/11/22 13:09:14 UTC",
            payload={"class": f"Job{index % 7}", "args": [index, "text", {"k": index}]},
            exception="OSError" if index % 2 else "KeyError",
            error=f"boom {index}",
            backtrace=[f"app/jobs.py:{index % 90}:in `perform'", "django_resque/worker/child.py:40:in `run'"],
            worker="bench:1:q",
            queue=f"q{index % 3}",
        )
        pipe.rpush(keys.failed(), record.encode())
        if index % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def _server_busy_us(client) -> int:
    """Microseconds Redis spent running scripts so far (INFO commandstats)."""
    stats = client.info("commandstats")
    return sum(int(stats.get(name, {}).get("usec", 0)) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def _timed(client, label: str, action):
    busy = _server_busy_us(client)
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    script = (_server_busy_us(client) - busy) / 1e6
    print(f"{label:<40} {elapsed:7.3f} s total, {script:6.3f} s in a script   ({result})")
    return result


def main(n: int) -> None:
    import django

    django.setup()
    from django.conf import settings

    from django_resque import connection, keys
    from django_resque.failure import api
    from django_resque.testing import RedisServer

    with RedisServer() as server:
        settings.RESQUE = {**settings.RESQUE, "REDIS_URL": server.url}
        from django_resque import conf

        conf.reset()
        connection.reset()
        client = connection.get_redis()
        _fill(client, n)
        print(f"{n} failure records, redis-server {client.info()['redis_version']}")
        _timed(client, "count()", api.count)
        _timed(client, "count(exception='OSError') (scan)", lambda: api.count(exception="OSError"))
        _timed(client, "page(offset=n-20, limit=20, queue='q1')", lambda: len(api.page(n // 3 - 20, 20, queue="q1")))
        _timed(client, "retry_all(exception='OSError')", lambda: api.retry_all(exception="OSError"))
        _timed(client, "retry_all()", api.retry_all)
        client.delete(*(keys.queue(f"q{index}") for index in range(3)))
        half = [(entry.index, entry.digest) for entry in api.page(0, n) if entry.index % 2 == 0]
        _timed(client, f"remove_many({len(half)} targets)", lambda: api.remove_many(half))
        _timed(client, "remove_all(job='Job3')", lambda: api.remove_all(job="Job3"))
        _timed(client, "clear()", lambda: api.clear() or api.count())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
