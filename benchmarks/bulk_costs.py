"""Where ``enqueue_many`` spends its time: client CPU and Redis's own time, per job.

    .venv/bin/python -m benchmarks.bulk_costs [CALLS] [ROUNDS]   (default 200 3)

Starts a private redis-server and runs CALLS ``enqueue_many`` calls of 1,000 ``noop``
jobs (the arguments ``python -m benchmarks run`` uses), ROUNDS times, flushing between
rounds, and prints per job the wall time, the client's CPU time and the server's
(``INFO commandstats``). Run it in two checkouts in turn to compare them: the client's
CPU is the side a change to the enqueue path moves.
"""

from __future__ import annotations

import sys
import time

from . import ours

BATCH = 1000


def main(argv: list[str]) -> None:
    calls, rounds = (int(argv[0]) if argv else 200), (int(argv[1]) if len(argv) > 1 else 3)
    with ours.on_private_server():
        import django_resque
        from django_resque.connection import get_redis

        client = get_redis()
        batch = [(ours._jobs().noop, ours.ARGS)] * BATCH
        for _ in range(rounds):
            client.flushdb()
            client.config_resetstat()
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                django_resque.enqueue_many(batch)
            jobs = calls * BATCH
            wall, cpu = (time.perf_counter() - wall) / jobs, (time.process_time() - cpu) / jobs
            server = sum(entry["usec"] for name, entry in client.info("commandstats").items() if "config" not in name)
            print(f"per job: wall {wall * 1e6:.2f} us, client CPU {cpu * 1e6:.2f} us, server {server / jobs:.2f} us")


if __name__ == "__main__":
    main(sys.argv[1:])
