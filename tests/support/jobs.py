"""Jobs used by the tests. Each records what it did in Redis so other processes can check."""

from __future__ import annotations

import json
import os

from django_resque import job
from django_resque.connection import get_redis

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


@job
class RetryingClassJob:
    queue = "classy"
    retry = 2
    backoff = 5
    unique = True

    @classmethod
    def perform(cls, value: object) -> None:
        raise Boom(value)
