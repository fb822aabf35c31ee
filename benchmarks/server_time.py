"""Redis server time per job of a burst worker, from ``INFO commandstats``.

    .venv/bin/python -m benchmarks.server_time                       # --no-fork, 20,000 no-op jobs
    .venv/bin/python -m benchmarks.server_time --mode jobs-per-fork-100 --without-ids

Pre-enqueues no-op jobs on a private redis-server (with ids, as ``enqueue_many`` makes
them, or ``--without-ids``: Ruby-shaped payloads, which write no job record), runs one
``resque_work --burst`` over them, and prints the worker's rate, the server's time per
job (every command, scripts' inner commands included) and the costliest commands. Server
time does not depend on how loaded the machine's other core is, so it compares trees
where wall-clock rates cannot. ``BENCH_NO_HISTORY=1`` turns the admin's history off.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from typing import Any

from . import ours

BATCH = 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="no-fork", choices=sorted(ours.MODES))
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--without-ids", action="store_true", help="Ruby-shaped payloads: no id, no job record")
    args = parser.parse_args(argv)
    with ours.on_private_server():
        from django_resque.connection import get_redis

        client = get_redis()
        _prefill(client, args.jobs, args.without_ids)
        client.config_resetstat()
        started = time.perf_counter()
        subprocess.run([*ours.worker_argv(args.mode), "--burst"], check=True)
        seconds = time.perf_counter() - started
        stats = client.info("commandstats")
    total = sum(entry["usec"] for entry in stats.values())
    costliest = sorted(stats.items(), key=lambda item: -item[1]["usec"])[:8]
    print(
        f"{args.mode}, {args.jobs} jobs{' without ids' if args.without_ids else ''}: {args.jobs / seconds:,.0f} jobs/s"
    )
    print(f"server time per job: {total / args.jobs:.1f} us")
    for name, entry in costliest:
        print(f"  {name.removeprefix('cmdstat_')}: {entry['calls']} calls, {entry['usec_per_call']:.1f} us each")


def _prefill(client: Any, count: int, without_ids: bool) -> None:
    if not without_ids:
        ours.prefill("noop", count)
        return
    from django_resque import keys
    from django_resque.payload import build

    queue = ours._jobs().QUEUE
    raw = build(ours._jobs().noop.name, []).encode()
    client.sadd(keys.queues(), queue)
    for start in range(0, count, BATCH):
        client.rpush(keys.queue(queue), *[raw] * min(BATCH, count - start))


if __name__ == "__main__":
    main()
