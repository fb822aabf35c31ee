"""Where a ``.delay()`` spends its time, beside a bare ``client.rpush``, per call.

    .venv/bin/python benchmarks/enqueue_costs.py [CALLS] [ROUNDS]   (default 3000 7)

Starts a private redis-server and, in one process against it, runs CALLS ``.delay()``
calls, then CALLS ``client.rpush`` calls, ROUNDS times in turn (interleaved, so both
see the same machine), and prints per call the median wall time and client CPU time
(user + system: on a virtual machine the socket's system calls are much of it), and
the server's own time per command from ``INFO commandstats``. A rate from
``python -m benchmarks run`` says how fast; this says which side the time is on.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAYLOAD = b'{"class":"bench.noop","args":[1,"two",{"three":3}]}'  # what .delay() pushes


def compare(calls: int, rounds: int) -> list[str]:
    """Interleaved ``.delay()`` and ``client.rpush`` loops; one line of figures per side."""
    from benchmarks import jobs, ours
    from django_resque import keys
    from django_resque.connection import get_redis

    client = get_redis()
    client.flushdb()
    client.config_resetstat()
    delay = jobs.noop.delay

    sides: dict[str, Callable[[], object]] = {
        ".delay()": lambda: delay(*ours.ARGS),
        "client.rpush": lambda: client.rpush("bench:rpush", PAYLOAD),
    }
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            timings[name].append(_per_call(call, calls))
        client.delete("bench:rpush", keys.queue(jobs.QUEUE))
    server = _server_usec_per_call(client.info("commandstats"))
    return [
        f"{name:14s} wall {_median(timings[name], 0):6.1f} µs | client CPU {_median(timings[name], 1):6.1f} µs"
        f" | server {server[command]:5.2f} µs ({command})"
        for name, command in ((".delay()", "evalsha"), ("client.rpush", "rpush"))
    ]


def _per_call(call: Callable[[], object], calls: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - wall) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def _median(samples: list[tuple[float, float]], index: int) -> float:
    return statistics.median(sample[index] for sample in samples)


def _server_usec_per_call(stats: dict[str, dict[str, float]]) -> dict[str, float]:
    """µs per call of EVALSHA (the push script) and of a bare RPUSH.

    The scripts' own RPUSHes (one per SADD) are taken out of the RPUSH total pro rata.
    """
    evalsha, rpush, sadd = (
        stats.get(f"cmdstat_{name}", {"calls": 0, "usec": 0}) for name in ("evalsha", "rpush", "sadd")
    )
    scripted = sadd["calls"]  # one SADD and one RPUSH per script run
    bare_calls = rpush["calls"] - scripted
    bare_usec = rpush["usec"] * bare_calls / rpush["calls"] if rpush["calls"] else 0
    return {
        "evalsha": evalsha["usec"] / evalsha["calls"] if evalsha["calls"] else 0.0,
        "rpush": bare_usec / bare_calls if bare_calls else 0.0,
    }


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    from benchmarks import ours

    with ours.on_private_server():
        for line in compare(calls, rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
