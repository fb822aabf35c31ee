"""What a worker costs Redis as queues, workers and pending jobs grow (issue 17).

PYTHONPATH=. .venv/bin/python benchmarks/scale.py [--pending 1000000] [--workers 1,10,50] [--only queues ...]

On one private redis-server, prints three Markdown tables:

- queues: one worker on ``--queues '*'`` over 1, 10, 100 and 1,000 queues;
- workers: 1, 10 and 50 idle workers on ``*`` over 1,000 queues (``--no-fork``, so 50
  workers fit on a small machine: the fork modes wait and reserve the same way);
- pending: ``--pending`` jobs across 1,000 queues: enqueue rate (1,000 jobs per MULTI),
  Redis memory per pending job, drain rate of 4 workers, the admin pages' time.

Per worker: connections the server holds for it (``CLIENT LIST``, by connection id);
commands it sends per second while idle (``INFO commandstats`` over 15 s, the default
``--interval`` of 5 s); wake-up latency p50/p99 of a job enqueued (``enqueue_to``) onto
the queue that sorts last, from enqueue to the job's first line; and the reserve: the
server time of one reserve with every queue empty (``usec_per_call``), and the server
time all workers spend in reserves per job of the latency run (every idle worker on
``*`` wakes for it, and the one that ran it reserves again after it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

from benchmarks import harness, ours

ROOT = Path(__file__).resolve().parents[1]
IDLE_SECONDS = 15.0
LATENCY_SAMPLES = 40
QUEUE_COUNTS = (1, 10, 100, 1000)
DRAIN_WORKERS = 4
DRAIN_SECONDS = 20.0
SECTIONS = ("queues", "workers", "pending")


def main() -> None:
    options = _parser().parse_args()
    if options.admin_pages:
        print(json.dumps(_admin_page_times(options.admin_pages)))
        return
    with ours.on_private_server():
        url = os.environ["BENCH_REDIS_URL"]
        client = redis.Redis.from_url(url)
        print(_machine(client))
        if "queues" in options.only:
            print("\n## One worker on `*`, by number of queues\n")
            print(_table([_queues_row(client, count) for count in QUEUE_COUNTS]))
        if "workers" in options.only:
            print("\n## Idle workers on `*` over 1,000 queues (`--no-fork`)\n")
            workers = [int(n) for n in options.workers.split(",")]
            print(_table([_workers_row(client, count) for count in workers]))
        if "pending" in options.only:
            print(f"\n## {options.pending:,} pending jobs across 1,000 queues\n")
            for line in _pending(client, url, options.pending):
                print(line)


# Rows ------------------------------------------------------------------------------


def _queues_row(client: redis.Redis, count: int) -> dict[str, object]:
    names = _fresh_queues(client, count)
    return {"queues": f"{count:,}", **_measure_workers(client, names, 1, [])}


def _workers_row(client: redis.Redis, count: int) -> dict[str, object]:
    names = _fresh_queues(client, 1000)
    return {"workers": count, **_measure_workers(client, names, count, ["--no-fork"])}


def _measure_workers(client: redis.Redis, names: list[str], count: int, mode: list[str]) -> dict[str, object]:
    before = _client_ids(client)
    argv = [*ours.worker_argv("fork"), "--queues", "*"]  # a later --queues wins
    processes = [harness.start_process([*argv, *mode]) for _ in range(count)]
    try:
        harness.wait_for(lambda: _subscribed(client, before) == count, "the workers to wait", deadline=300)
        time.sleep(1.0)  # their first reserves are over
        connections = len(_client_ids(client) - before) / count
        idle = _idle_commands(client, before) / count
        reserve_us = _reserve_usec(client, names)
        latencies, woken_us = _latencies(client, names[-1])
    finally:
        for process in processes:
            harness.stop_process(process)
    return {
        "connections per worker": f"{connections:g}",
        "idle commands/s per worker": f"{idle:.2f}",
        "wake-up p50 / p99": f"{_ms(latencies, 50)} / {_ms(latencies, 99)} ms",
        "one reserve, all empty": f"{reserve_us:,.0f} µs",
        "server time in reserves per job": f"{woken_us:,.0f} µs",
    }


def _pending(client: redis.Redis, url: str, total: int) -> list[str]:
    names = _fresh_queues(client, 1000)
    memory_before = int(client.info("memory")["used_memory"])
    per_queue = total // len(names)
    payload = _noop_payload()
    started = time.perf_counter()
    _fill(names, per_queue, payload)
    enqueue_rate = per_queue * len(names) / (time.perf_counter() - started)
    pending = per_queue * len(names)
    memory = int(client.info("memory")["used_memory"]) - memory_before
    pages = _admin_pages_in_subprocess(url)
    lines = [
        f"- enqueue: {enqueue_rate:,.0f} jobs/s (`enqueue_many`'s MULTI, 1,000 jobs per call, one queue per call)",
        f"- Redis memory: {memory / pending:.1f} bytes per pending job ({memory / 2**20:,.1f} MiB for {pending:,};"
        f" payload {len(payload)} bytes)",
        f"- admin overview page: {pages['overview']:.1f} ms, queues page: {pages['queues']:.1f} ms"
        " (median of 10 requests, Django test client)",
    ]
    for mode, label in (([], "fork per job"), (["--no-fork"], "--no-fork")):
        rate = _drain_rate(client, mode)
        lines.append(f"- drain, {DRAIN_WORKERS} workers on `*`, {label}: {rate:,.0f} jobs/s over {DRAIN_SECONDS:.0f} s")
    return lines


# Measurements ---------------------------------------------------------------------


def _fresh_queues(client: redis.Redis, count: int) -> list[str]:
    """An empty server with ``count`` known, empty queues; their names, sorted."""
    from django_resque import keys

    client.flushdb()
    names = [f"tenant-{n:04d}" for n in range(count)]
    client.sadd(keys.queues(), *names)
    return names


def _client_ids(client: redis.Redis) -> set[int]:
    return {int(entry["id"]) for entry in client.client_list()}


def _subscribed(client: redis.Redis, before: set[int]) -> int:
    return sum(1 for entry in client.client_list() if int(entry["id"]) not in before and entry["cmd"] == "subscribe")


def _idle_commands(client: redis.Redis, own: set[int]) -> float:
    """Commands per second clients other than ``own`` sent, over IDLE_SECONDS (MONITOR: not a script's calls)."""
    mark = f"bench-idle-end-{time.time()}"
    pool_options = client.connection_pool.connection_kwargs
    counted = []

    def watch() -> None:
        monitoring = redis.Redis(connection_pool=redis.ConnectionPool(**{**pool_options, "socket_timeout": None}))
        with monitoring.monitor() as monitor:
            started.set()
            while True:
                command = monitor.next_command()
                if mark in command["command"]:
                    return
                if command["client_type"] != "lua":
                    counted.append(command["client_address"])

    started = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    started.wait()
    time.sleep(IDLE_SECONDS)
    ours = {entry["addr"] for entry in client.client_list() if int(entry["id"]) in own}
    client.echo(mark)
    watcher.join()
    return sum(1 for address in counted if address not in ours) / IDLE_SECONDS


def _reserve_usec(client: redis.Redis, names: list[str]) -> float:
    """Server µs of one reserve over ``*`` with every queue empty."""
    from django_resque import inflight as reserve

    reserve.reserve("bench:1:*", ["*"])  # the script loaded
    client.config_resetstat()
    for _ in range(200):
        reserve.reserve("bench:1:*", ["*"])
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])


def _latencies(client: redis.Redis, last: str) -> tuple[list[float], float]:
    """Wake-up latencies on the last queue, and the reserves' server µs per job."""
    jobs = _jobs()
    harness.warm_up_latency(client, lambda sent: jobs.latency_stamp.enqueue_to(last, sent))
    client.config_resetstat()
    found = harness.latency_samples(
        client, lambda sent: jobs.latency_stamp.enqueue_to(last, sent), LATENCY_SAMPLES, 120
    )
    evalsha = client.info("commandstats").get("cmdstat_evalsha", {"usec": 0})
    return found, float(evalsha["usec"]) / max(1, len(found))


def _drain_rate(client: redis.Redis, mode: list[str]) -> float:
    from django_resque import keys

    argv = [*ours.worker_argv("fork"), "--queues", "*", *mode]
    processes = [harness.start_process(argv) for _ in range(DRAIN_WORKERS)]
    try:
        processed = keys.stat("processed")
        harness.wait_for(lambda: int(client.get(processed) or 0) >= 200 * DRAIN_WORKERS, "the workers to start")
        first, started = int(client.get(processed) or 0), time.perf_counter()
        time.sleep(DRAIN_SECONDS)
        return (int(client.get(processed) or 0) - first) / (time.perf_counter() - started)
    finally:
        for process in processes:
            harness.stop_process(process)


def _fill(names: list[str], per_queue: int, payload: str) -> None:
    from django_resque import queue

    for name in names:
        left = per_queue
        while left:
            batch = min(left, 1000)
            queue.push_many_encoded((name, payload) for _ in range(batch))
            left -= batch


def _noop_payload() -> str:
    return _jobs().noop.payload(*ours.ARGS).encode()


def _jobs():
    from benchmarks import jobs

    return jobs


# The admin pages run in a process of their own: they need the test settings (admin, auth).


def _admin_pages_in_subprocess(url: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings", "REDIS_URL": url}
    env["RESQUE_TEST_DB"] = os.path.join(tempfile.mkdtemp(), "db.sqlite3")
    out = subprocess.run(
        [sys.executable, str(Path(__file__)), "--admin-pages", url], env=env, cwd=ROOT, capture_output=True, check=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def _admin_page_times(url: str) -> dict[str, float]:
    from django.urls import reverse

    from benchmarks.admin_queue_page import logged_in_client

    client = logged_in_client(url)
    times = {}
    for page, name in (
        ("overview", "admin:django_resque_overview_changelist"),
        ("queues", "admin:django_resque_queue_changelist"),
    ):
        samples = []
        for _ in range(10):
            started = time.perf_counter()
            response = client.get(reverse(name))
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        times[page] = statistics.median(samples) * 1000
    return times


# Output ---------------------------------------------------------------------------


def _ms(samples: list[float], percentile: int) -> str:
    ordered = sorted(samples)
    return f"{ordered[min(len(ordered) - 1, len(ordered) * percentile // 100)] * 1000:.2f}"


def _table(rows: list[dict[str, object]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---:" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(row[column]) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def _machine(client: redis.Redis) -> str:
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    version = client.info("server")["redis_version"]
    return f"{os.cpu_count()} cores, load average {load} at the start; redis-server {version}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pending", type=int, default=1_000_000, help="pending jobs across 1,000 queues")
    parser.add_argument("--workers", default="1,10,50", help="idle worker counts, comma-separated")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="these tables only")
    parser.add_argument("--admin-pages", metavar="URL", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    main()
