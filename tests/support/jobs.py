"""Jobs used by the tests. Each records what it did in Redis so other processes can check."""

from __future__ import annotations

import ctypes
import json
import os
import time

from django_resque import job
from django_resque.connection import get_redis
from django_resque.exceptions import DontPerformError

DONE_KEY = "test:done"


def record(value: object) -> None:
    """RPUSH a JSON note onto ``test:done`` (not a Resque key)."""
    get_redis().rpush(DONE_KEY, json.dumps(value))


@job(queue="test")
def remember(value: object) -> None:
    record({"value": value, "pid": os.getpid()})


@job(queue="test")
def add(a: int, b: int, *, scale: int = 1) -> int:
    record({"sum": (a + b) * scale})
    return (a + b) * scale


@job(queue="test", name="RubyNamed")
def ruby_named(*args: object) -> None:
    record({"ruby_named": list(args)})


class Boom(Exception):
    pass


@job(queue="test")
def explode(message: str) -> None:
    raise Boom(message)


@job
class ClassJob:
    queue = "classy"

    @classmethod
    def perform(cls, value: object) -> None:
        record({"class_job": value})


@job(queue="test")
def sleepy(seconds: float, tag: str = "") -> None:
    """Note the start, sleep, note the end: tests watch both from outside."""
    record({"started": tag, "pid": os.getpid()})
    time.sleep(seconds)
    record({"finished": tag})


@job(queue="test")
def noop() -> None:
    """Does nothing: for measuring the worker itself."""


@job(queue="test")
def stamp(sent: float) -> None:
    """Records when it was enqueued and when it started, for latency measurements."""
    record({"sent": sent, "started": time.time()})


@job(queue="test")
def nap(seconds: float) -> None:
    """Sleeps and touches nothing, so Redis being away cannot make it fail."""
    time.sleep(seconds)


@job(queue="test", timeout=1)
def overrun(seconds: float) -> None:
    record({"overrun_started": os.getpid()})
    time.sleep(seconds)


@job(queue="test")
def hard_exit(code: int) -> None:
    """Leaves without reporting, as a crashing C extension would."""
    os._exit(code)


@job(queue="test")
def segfault() -> None:
    ctypes.string_at(0)


@job
class Hooked:
    """Records the order in which Resque-style hooks run."""

    queue = "test"

    @classmethod
    def before_perform_b(cls, value: object) -> None:
        record("before_b")

    @classmethod
    def before_perform_a(cls, value: object) -> None:
        record("before_a")

    @classmethod
    def around_perform_a(cls, perform: object, value: object) -> None:
        record("around_a_in")
        perform()  # type: ignore[operator]
        record("around_a_out")

    @classmethod
    def around_perform_b(cls, perform: object, value: object) -> None:
        record("around_b_in")
        perform()  # type: ignore[operator]
        record("around_b_out")

    @classmethod
    def perform(cls, value: object) -> None:
        if value == "fail":
            raise Boom("hooked failure")
        record("perform")

    @classmethod
    def after_perform_a(cls, value: object) -> None:
        record("after_a")

    @classmethod
    def on_failure_a(cls, exc: BaseException, value: object) -> None:
        record("on_failure_a:%s" % type(exc).__name__)


@job
class Skipped:
    queue = "test"

    @classmethod
    def before_perform_skip(cls) -> None:
        raise DontPerformError("not today")

    @classmethod
    def perform(cls) -> None:
        record("skipped job ran")


class Flaky(Exception):
    pass


@job(queue="test", retry=2, backoff=0, retry_on=(Flaky,))
def flaky(message: str) -> None:
    """Fails with Flaky every time: retried twice at once, then recorded."""
    raise Flaky(message)


@job(queue="test", retry=3, backoff=[60, 120])
def retry_later(message: str) -> None:
    raise Boom(message)


@job(queue="test", unique=True)
def unique_note(value: object) -> None:
    record({"unique_note": value})


@job(queue="test", unique=lambda user_id, **_: user_id, unique_ttl=30)
def unique_by_user(user_id: int, note: str = "") -> None:
    record({"unique_by_user": [user_id, note]})


@job(queue="test", retry=1, backoff=0)
def fails_once(key: str) -> None:
    """Fails on its first run only (counted in Redis), so a retry succeeds."""
    if get_redis().incr(f"test:runs:{key}") == 1:
        raise Boom(f"first run of {key}")
    record({"fails_once": key})


@job(queue="test")
def fails_until_flag(key: str) -> None:
    """Fails until ``key`` exists in Redis, then records its run."""
    if not get_redis().exists(key):
        raise Boom(f"{key} is not set")
    record({"flagged": key})


@job(queue="test")
def scaled_until_flag(key: str, *, scale: int) -> None:
    """Keyword-only ``scale``: fails until ``key`` exists in Redis, then records both."""
    if not get_redis().exists(key):
        raise Boom(f"{key} is not set")
    record({"flagged": key, "scale": scale})


@job(name="RubyRetry", queue="ruby", retry=3, backoff=0)
def ruby_retry(*args: object) -> None:
    """The Python side of Ruby's RubyRetry (resque-retry, 3 retries): one attempt count for both."""
    record({"ruby_retry": list(args)})
    raise Boom("python retry")


@job(name="UniqueEcho", queue="ruby", unique=True)
def unique_echo(*args: object) -> None:
    """The Python side of Ruby's UniqueEcho, whose after_perform hook releases our lock."""
    record({"unique_echo": list(args)})


@job(queue="test", retry=2, backoff=1)
def gives_up(message: str) -> None:
    """Fails every time: retried twice through the delayed queue (1 s apart), then recorded."""
    record({"gives_up": message, "pid": os.getpid()})
    raise Boom(message)


@job(queue="test", result_ttl=600)
def doubled(value: int) -> dict[str, int]:
    """Returns a value kept for 10 minutes (``fetch(id).result``)."""
    return {"doubled": value * 2}


@job(queue="test", result_ttl=600)
def sized(length: int) -> str:
    """Returns a text of ``length`` characters, kept (results handed over a pipe or not)."""
    return "x" * length


@job(queue="test", result_ttl=600)
def sleepy_result(seconds: float, tag: str) -> dict[str, str]:
    """As ``sleepy``, then returns a value kept for 10 minutes."""
    sleepy(seconds, tag)
    return {"slept": tag}


@job
class RetryingClassJob:
    queue = "classy"
    retry = 2
    backoff = 5
    unique = True

    @classmethod
    def perform(cls, value: object) -> None:
        raise Boom(value)


# Chaos suite (tests/chaos)
CHAOS_RUNS_KEY = "chaos:runs"


@job(queue="chaos")
def chaos_mark(job_id: str, seconds: float = 0.0) -> None:
    """Sleeps (so kills land mid-job), then counts one finished run of ``job_id``."""
    if seconds:
        time.sleep(seconds)
    get_redis().hincrby(CHAOS_RUNS_KEY, job_id, 1)


@job(queue="test")
def raise_base(kind: str) -> None:
    """Raises what jobs should not: SystemExit, KeyboardInterrupt or MemoryError."""
    errors = {"SystemExit": SystemExit(2), "KeyboardInterrupt": KeyboardInterrupt(), "MemoryError": MemoryError()}
    raise errors[kind]


@job(queue="test")
def measure(data: str) -> None:
    """Records the length of its (large) argument."""
    record({"length": len(data)})


@job(queue="test")
def report_warmth() -> None:
    """Records what this job process had to read again on first use, and who ran the warm-up step."""
    from tests.support import warm

    record({name: count() for name, count in warm.COUNTS.items()} | {"warmed_by": warm.WARMED_BY, "pid": os.getpid()})
