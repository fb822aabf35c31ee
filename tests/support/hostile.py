"""Every hostile or odd value of issue 21, written into Redis as another program could.

Used by the admin unit tests (fakeredis) and the hostile-data suite (a real Redis with a
real worker, scheduler and admin). ``write_all`` returns what a test checks afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from django_resque import keys

DEPTH = 990  # Redis's cjson accepts 1000; Python 3.11's json raised RecursionError near 975
DEEP = b"[" * DEPTH + b"]" * DEPTH
DEEP_PAYLOAD = b'{"class":"tests.support.jobs.remember","args":' + DEEP + b"}"
EVIL_QUEUE = "evil"
DEAD_WORKER = "far-away-host:4242:evil"  # stale heartbeat, record holding a deep payload
BAD_UTF8_WORKER = b"host\xff:1:q"
FUTURE = 4_000_000_000  # 2096: items here stay put while the scheduler runs


@dataclass(frozen=True)
class Written:
    """What ``write_all`` wrote that tests look for again."""

    failed: int  # entries pushed onto the failed list
    due: int  # epoch of the due delayed bucket holding bad items


def write_all(client: Any, now: float | None = None) -> Written:
    """Write every value of the issue; returns what was written where tests need it."""
    now = int(now if now is not None else time.time())
    _queues(client)
    _workers(client)
    failed = _failures(client)
    _delayed(client, now)
    _schedules(client)
    _stats(client)
    return Written(failed=failed, due=now - 5)


def _queues(client: Any) -> None:
    client.sadd(keys.queues(), EVIL_QUEUE, "bad\nname", b"q\xff\xfe", "nul\x00queue")
    client.rpush(keys.queue(EVIL_QUEUE), DEEP, DEEP_PAYLOAD, b"\xff\xfe", b'{"class":"X","args":[NaN]}')
    client.rpush(keys.queue("bad\nname"), b'{"class":"tests.support.jobs.remember","args":[1]}')


def _workers(client: Any) -> None:
    client.sadd(keys.workers(), DEAD_WORKER, BAD_UTF8_WORKER, "vm:99999999999999999999999:q")
    client.set(keys.worker(DEAD_WORKER), b'{"queue":"evil","run_at":"x","payload":' + DEEP_PAYLOAD + b"}")
    client.hset(keys.heartbeats(), DEAD_WORKER, "2000-01-01T00:00:00")  # no zone
    client.hset(keys.heartbeats(), b"vm:99999999999999999999999:q", b"not a time")
    client.set(keys.stat("processed", DEAD_WORKER), "many")
    client.set(keys.worker_started(DEAD_WORKER), b"\xff")


def _failures(client: Any) -> int:
    records = [
        b'{"failed_at":"2026/01/01 00:00:00 UTC","payload":' + DEEP_PAYLOAD + b',"exception":"X","queue":"q"}',
        b'{"failed_at":1,"payload":[1],"exception":null,"error":{"a":1},"backtrace":7,"retried_at":5}',
        b'{"failed_at":"\xff","payload":{"class":"\xfe"},"exception":"E"}',
        DEEP,
        b"\xff\xfe not json",
    ]
    client.rpush(keys.failed(), *records)
    return len(records)


def _delayed(client: Any, now: int) -> None:
    due = now - 5
    deep_item = b'{"class":"tests.support.jobs.remember","args":' + DEEP + b',"queue":"evil"}'
    client.rpush(keys.delayed(due), deep_item, b'{"class":"J\xff","args":[],"queue":"q"}')
    client.rpush(keys.delayed(due), b'{"class":"tests.support.jobs.remember","args":["after"],"queue":"good"}')
    client.zadd(keys.delayed_schedule(), {str(due): due, "not-an-epoch": due - 1, b"\xff": due - 2})
    client.rpush(keys.delayed(FUTURE), deep_item, b'{"class":"X","args":[],"queue":"bad\\nname"}')
    client.zadd(keys.delayed_schedule(), {str(FUTURE): FUTURE, "later-garbage": FUTURE + 1})


def _schedules(client: Any) -> None:
    client.hset(
        keys.persistent_schedules(),
        mapping={
            b"bad\xffname": b'{"every":"1m","class":"tests.support.jobs.remember"}',
            "deep": b'{"every":"1m","class":"tests.support.jobs.remember","args":' + DEEP + b"}",
            "huge-every": b'{"every":"99999999999999999999d","class":"tests.support.jobs.remember"}',
            "not-json": b"{",
        },
    )
    client.sadd(keys.schedules_changed(), "deep", b"bad\xffname")
    client.hset(keys.schedule_last_run(), mapping={"huge-every": "soon", b"bad\xffname": b"1e3"})


def _stats(client: Any) -> None:
    client.set(keys.stat("processed"), "lots")
    client.set(keys.stat("failed"), "1.5")
    client.hset(keys.job_durations(), mapping={"X|sum": "abc", "X|0.005": "nan", "X|+Inf": "1"})


def admin_pages(failed: int) -> list[str]:
    """Every admin page that shows data read from Redis, with odd query strings too."""
    pages = [
        reverse("admin:django_resque_overview_changelist"),
        reverse("admin:django_resque_overview_changelist") + "?refresh=5",
        reverse("admin:django_resque_overview_stats"),
        reverse("admin:django_resque_overview_metrics"),
        reverse("admin:django_resque_queue_changelist"),
        reverse("admin:django_resque_queue_jobs", args=[EVIL_QUEUE]),
        reverse("admin:django_resque_worker_changelist"),
        reverse("admin:django_resque_failedjob_changelist"),
        reverse("admin:django_resque_failedjob_changelist") + "?exception=X",
        reverse("admin:django_resque_delayedjob_changelist"),
        reverse("admin:django_resque_delayedjob_at", args=[FUTURE]),
        reverse("admin:django_resque_schedule_changelist"),
        reverse("admin:django_resque_overview_stats") + "?span=week&queue=" + EVIL_QUEUE,
        reverse("admin:django_resque_queue_jobs", args=[EVIL_QUEUE]) + "?span=day",
        reverse("admin:django_resque_overview_redis"),
        reverse("admin:django_resque_overview_search") + "?q=a",
        reverse("admin:django_resque_overview_search") + "?q=%00%ff",
    ]
    pages += [reverse("admin:django_resque_failedjob_detail", args=[index]) for index in range(failed)]
    return pages


def bad_requests() -> list[str]:
    """Query strings and routes that must be a 404, never a 500."""
    return [
        reverse("admin:django_resque_overview_changelist") + "?refresh=%C2%B2",
        reverse("admin:django_resque_queue_changelist") + "?refresh=99999999999999999999999",
        reverse("admin:django_resque_queue_jobs", args=[EVIL_QUEUE]) + "?page=%C2%B2",
        reverse("admin:django_resque_failedjob_detail", args=[2**64]),
        reverse("admin:django_resque_delayedjob_at", args=[2**64]),
        reverse("admin:django_resque_queue_jobs", args=["a,b"]),
        reverse("admin:django_resque_queue_jobs", args=["tab\tqueue"]),
    ]
