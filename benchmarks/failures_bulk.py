"""Time the failure API's pages and bulk changes on a failed list of N records, on a real Redis.

.venv/bin/python benchmarks/failures_bulk.py [N]     (default 100000; needs redis-server)

Starts a private redis-server, fills ``resque:failed`` with N Ruby-format records
(every other one OSError), then runs each step in a process of its own and prints,
per step: its time, the longest single Redis command (SLOWLOG, every command logged),
the Redis time spent in scripts, and the process's peak RSS (VmHWM). Where allowed
(root), redis-server runs as a real-time task, so a loaded machine's scheduling pauses
are not counted as Redis commands' time. Steps: a page of 25 in
the middle, a filtered page, retry_all of one exception class, retry_all of
everything, remove_many of 25 selected records, remove_all of one job, clear.
Runs against the code of the checkout it is in, so a before/after comparison runs it
in two checkouts against the same N.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

FILL = """
local records = {}
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  local exception = (i % 2 == 1) and 'OSError' or 'KeyError'
  records[#records + 1] = string.format(ARGV[3], i % 7, i, exception, i, i % 90, i % 3)
  if #records == 1000 then redis.call('RPUSH', KEYS[1], unpack(records)); records = {} end
end
if #records > 0 then redis.call('RPUSH', KEYS[1], unpack(records)) end
"""
RECORD = (
    '{"failed_at":"2026/11/22 13:09:14 UTC","payload":{"class":"Job%d","args":[%d,"text",{"k":1}]},'
    '"exception":"%s","error":"boom %d","backtrace":["app/jobs.py:%d:in `perform\'",'
    '"django_resque/worker/child.py:40:in `run\'"],"worker":"bench:1:q","queue":"q%d"}'
)

STEPS = {
    "page of 25 in the middle": "len(api.page(n // 2, 25))",
    "filtered page (queue q1, 25 from the middle)": (
        "len(api.find(n // 2, 25, queue='q1').entries) if hasattr(api, 'find')"
        " else len(api.page(n // 6, 25, queue='q1'))"
    ),
    "retry_all(exception='OSError')": "api.retry_all(exception='OSError')",
    "retry_all()": "api.retry_all()",
    "remove_many(25 selected in the middle)": "api.remove_many([(e.index, e.digest) for e in api.page(n // 2, 25)])",
    "remove_all(job='Job3')": "api.remove_all(job='Job3')",
    "clear()": "api.clear() or api.count()",
}

STEP = """
import json, sys, time, django
django.setup()
from django_resque.failure import api
n = int(sys.argv[1])
started = time.perf_counter()
result = {expression}
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": time.perf_counter() - started, "result": result,
                  "max_rss_mib": int(peak.split()[1]) / 1024}}))
"""


def _step(url: str, n: int, expression: str) -> dict:
    env = {**os.environ, "RESQUE_TEST_SETTINGS": json.dumps({"REDIS_URL": url})}
    code = STEP.format(expression=expression)
    done = subprocess.run([sys.executable, "-c", code, str(n)], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _script_us(client) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(name, {}).get("usec", 0)) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def _favour(pid: int) -> None:
    try:
        os.sched_setscheduler(pid, os.SCHED_RR, os.sched_param(1))
    except PermissionError:
        print("(redis-server runs at normal priority: its longest command includes scheduling pauses)")


def main(n: int) -> None:
    import redis

    from django_resque.testing import RedisServer

    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        for first in range(0, n, 50_000):
            client.eval(FILL, 1, "resque:failed", first, min(first + 50_000, n) - 1, RECORD)
        client.config_set("slowlog-max-len", 100_000)
        _favour(int(client.info("server")["process_id"]))
        print(f"{n} failure records, redis-server {client.info()['redis_version']}, load {os.getloadavg()[0]:.1f}")
        print(f"{'step':<46} {'total':>8} {'longest cmd':>12} {'in scripts':>11} {'peak RSS':>9}  result")
        for label, expression in STEPS.items():
            client.config_set("slowlog-log-slower-than", 0)
            client.slowlog_reset()
            busy = _script_us(client)
            measured = _step(server.url, n, expression)
            longest = max((entry["duration"] for entry in client.slowlog_get(100_000)), default=0)
            client.config_set("slowlog-log-slower-than", 10_000)
            print(
                f"{label:<46} {measured['seconds']:7.2f}s {longest / 1000:10.1f}ms "
                f"{(_script_us(client) - busy) / 1e6:10.2f}s {measured['max_rss_mib']:7.0f}MB  {measured['result']}"
            )
            client.delete(*(f"resque:queue:q{index}" for index in range(3)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
