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
