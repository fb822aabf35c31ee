"""The ceiling: what redis-py alone does on the same server with the same payload bytes."""

from __future__ import annotations

import json

import redis

from .harness import Bounds, rate_loop

KEY = "bench:raw"
BATCH = 1000
PAYLOAD = json.dumps({"class": "bench.noop", "args": [1, "two", {"three": 3}]}, separators=(",", ":"))

_client: redis.Redis | None = None


def setup(url: str) -> None:
    global _client
    _client = redis.Redis.from_url(url)


def rpush(bounds: Bounds) -> dict[str, float]:
    """One RPUSH per round trip."""
    push = _client.rpush

    def step() -> int:
        push(KEY, PAYLOAD)
        return 1

    return rate_loop(step, bounds)


def rpush_pipelined(bounds: Bounds) -> dict[str, float]:
    """BATCH RPUSHes per round trip (non-transactional pipeline)."""

    def step() -> int:
        pipe = _client.pipeline(transaction=False)
        for _ in range(BATCH):
            pipe.rpush(KEY, PAYLOAD)
        pipe.execute()
        return BATCH

    return rate_loop(step, bounds)
