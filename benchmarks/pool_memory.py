"""Memory and start time of N workers: one ``resque_pool`` against N ``resque_work`` processes.

    .venv/bin/python benchmarks/pool_memory.py [N]   (default 4; Linux: reads /proc)

Starts a private redis-server. For each way, starts N idle workers on the test project
(tests.settings), waits until N are registered, lets them settle 3 s, then sums the PSS
of every process the way started (its sessions: manager, workers, fork servers,
pre-forked job processes). PSS splits each shared page among the processes sharing it,
so the sum is what the way costs the machine; RSS would count shared pages once per
process. Also prints the seconds from start until N workers were registered.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SETTLE_SECONDS = 3.0


def session_pids(sessions: set[int]) -> list[int]:
    """Live processes whose session is one of ``sessions``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) in sessions and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def measure(way: str, argvs: list[list[str]], env: dict[str, str], count: int, client) -> dict[str, object]:
    client.flushdb()
    started = time.perf_counter()
    processes = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True) for argv in argvs
    ]
    try:
        while client.scard("resque:workers") < count:
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{way}: {count} workers not registered within 120 s")
            time.sleep(0.02)
        ready = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        pids = session_pids({process.pid for process in processes})
        total = sum(pss_kib(pid) for pid in pids)
    finally:
        for process in processes:
            process.send_signal(signal.SIGQUIT)
        for process in processes:
            process.wait(timeout=60)
    return {"way": way, "workers": count, "processes": len(pids), "pss_mib": round(total / 1024, 1), "ready_s": ready}


def main() -> None:
    import redis

    from django_resque.testing import RedisServer, environment_with

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    manage = [sys.executable, "manage.py"]
    with RedisServer() as server, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "pool.json"
        config.write_text(json.dumps({"bench": count}))
        env = environment_with(server.url, DJANGO_SETTINGS_MODULE="tests.settings")
        client = redis.Redis.from_url(server.url)
        pool = [[*manage, "resque_pool", "--config", str(config), "-v", "0"]]
        separate = [[*manage, "resque_work", "--queues", "bench", "-v", "0"]] * count
        for way, argvs in (("resque_pool", pool), ("separate resque_work", separate)):
            print(json.dumps(measure(way, argvs, env, count, client)), flush=True)


if __name__ == "__main__":
    main()
