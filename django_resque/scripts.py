"""Lua scripts for changes that touch several keys at once, one concept per script.

Each script is sent by SHA (EVALSHA) and loaded on the first NOSCRIPT reply, so a
restarted Redis or a new client costs one extra round trip, never an error.
"""

from __future__ import annotations

import hashlib
from typing import Any

import redis

# Enqueue: register the queue and append the job, as Ruby's SADD + RPUSH, in one
# command. Cheaper than MULTI/SADD/RPUSH/EXEC for a single job: one command to pack,
# send and parse instead of four.
# KEYS: queues set, queue:<q>. ARGV: queue name, then one or more encoded payloads.
# Returns the queue's new length.
PUSH = """
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('RPUSH', KEYS[2], unpack(ARGV, 2))
"""


def run(client: redis.Redis, script: str, keys: list[str], args: list[Any]) -> Any:
    """EVALSHA ``script``, loading it once if the server does not know it yet."""
    sha = _sha(script)
    try:
        return client.evalsha(sha, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:
        return client.eval(script, len(keys), *keys, *args)


_shas: dict[str, str] = {}


def _sha(script: str) -> str:
    sha = _shas.get(script)
    if sha is None:
        sha = _shas[script] = hashlib.sha1(script.encode()).hexdigest()
    return sha
