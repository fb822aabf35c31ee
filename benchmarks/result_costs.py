"""What keeping results costs a fork-per-job worker, counted by Redis: connections and commands per job.

    .venv/bin/python benchmarks/result_costs.py [JOBS] [ROUNDS]   (default 300 3)

Starts a private redis-server. Each round, for results off and then on (``RESULT_TTL``
600), queues JOBS ``bench.noop`` jobs, runs ``resque_work --burst`` over them (fork per
job, the default) and reads the server's ``INFO stats`` around it: connections received
(the worker's own two, plus any a job process opens) and commands processed (those run
inside a script count too). Unlike a rate on a shared machine, these counts do not move
with the load; the wall time is printed beside them, for what it is worth.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one_run(jobs: int, result_ttl: int | None) -> str:
    """Queue ``jobs`` no-op jobs, work them with a --burst worker; one line of counts."""
    from benchmarks import ours
    from django_resque import handle, keys
    from django_resque.connection import get_redis
    from django_resque.payload import ID_KEY, dumps

    client = get_redis()
    client.flushdb()
    payloads = [dumps({"class": "bench.noop", "args": [], ID_KEY: handle.new_id()}) for _ in range(jobs)]
    client.rpush(keys.queue("bench"), *payloads)  # as .delay() pushes them, in one round trip
    env = {name: value for name, value in os.environ.items() if name != "BENCH_RESULT_TTL"}
    if result_ttl:
        env["BENCH_RESULT_TTL"] = str(result_ttl)  # read by the worker's settings (benchmarks/settings.py)
    before, started = client.info("stats"), time.perf_counter()
    subprocess.run([*ours.worker_argv("fork"), "--burst"], cwd=ROOT, env=env, check=True)
    took, after = time.perf_counter() - started, client.info("stats")
    kept = sum(1 for key in client.scan_iter(keys.job_record("*")) if client.hexists(key, "return_value"))
    connections = after["total_connections_received"] - before["total_connections_received"]
    commands = after["total_commands_processed"] - before["total_commands_processed"]
    return "results %-3s: %d jobs in %.2f s, %d results kept, %d connections (%.2f/job), %.2f commands/job" % (
        "on" if result_ttl else "off",
        jobs,
        took,
        kept,
        connections,
        connections / jobs,
        commands / jobs,
    )


def main() -> None:
    from benchmarks import ours

    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with ours.on_private_server():
        for _ in range(rounds):
            for result_ttl in (None, 600):
                print(one_run(jobs, result_ttl), flush=True)


if __name__ == "__main__":
    main()
