"""Instructions per ``.delay()`` on the client, counted by valgrind's callgrind.

    .venv/bin/python -m benchmarks.delay_instructions [CALLS]   (default 10000; needs valgrind)

Runs a process that sets Django up and makes 0 ``.delay()`` calls, then one that makes
CALLS, both under ``valgrind --tool=callgrind`` against a private redis-server, and
prints the difference per call. Instructions do not depend on what else the machine is
doing, so two trees compare where wall and CPU time drown in this VM's noise (start-up
varies by ~1% between runs: keep CALLS large). About a minute per 10,000 calls.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from django_resque.testing import RedisServer

CALLER = """
import os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
import django; django.setup()
from benchmarks import jobs, ours
delay = jobs.noop.delay
for _ in range(50 + int(sys.argv[1])):
    delay(*ours.ARGS)
"""


def main(argv: list[str]) -> None:
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    calls = int(argv[0]) if argv else 10_000
    with RedisServer() as server:
        counts = [_instructions(server.url, count) for count in (0, calls)]
    print(f".delay(): {(counts[1] - counts[0]) / calls:,.0f} instructions per call ({calls:,} calls)")


def _instructions(url: str, calls: int) -> int:
    env = {**os.environ, "BENCH_REDIS_URL": url, "PYTHONHASHSEED": "0"}
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", CALLER]
    done = subprocess.run([*command, str(calls)], env=env, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))  # type: ignore[union-attr]


if __name__ == "__main__":
    main(sys.argv[1:])
