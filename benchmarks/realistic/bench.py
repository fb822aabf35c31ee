"""Run the realistic jobs on each worker, in rounds, against one private Redis; print a table.

Every (job kind, worker) pair is a case; each run of a case pre-enqueues its jobs on
an emptied Redis, starts the worker, and measures as ``harness.drain_rate`` does (the
clock starts once 2% are gone, stops when the queue is empty or at the time bound).
Runs in ``benchmarks/.venv-jobs`` (``__main__`` sees to it), so our worker and RQ's
use the same Django, redis-py, hiredis, django-redis and psycopg.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from django_resque.testing import RedisServer

from ..harness import Bounds, drain_rate, start_process, stop_process, wait_for
from ..runner import ROOT
from ..stats import summarize

QUEUE = "real"
SETTINGS = "benchmarks.realistic.settings"
RUBY_RESQUE = "resque-3.0.0/lib"
# job kind -> its function in work.py
KINDS = {
    "redis": "redis_push",
    "orm": "orm_row",
    "template": "render_note",
    "cache": "cache_get_set",
    "mail": "send_note",
}
MIX = tuple(KINDS)  # the mix: one job of each kind in turn
ALL_KINDS = (*KINDS, "mix")


@dataclass(frozen=True)
class Worker:
    key: str
    label: str
    side: str  # ours / rq / ruby
    options: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    count: int = 1500
    kinds: tuple[str, ...] = ALL_KINDS


WORKERS = (
    Worker("fork", "ours: fork per job", "ours"),
    Worker("fork-cold", "ours: fork per job, built-in warm-up off", "ours", env=(("BENCH_NO_WARM_UP", "1"),)),
    Worker("jobs-per-fork-10", "ours: --jobs-per-fork 10", "ours", ("--jobs-per-fork", "10"), count=6000),
    Worker("no-fork", "ours: --no-fork", "ours", ("--no-fork",), count=6000),
    Worker("rq-fork", "RQ Worker (fork)", "rq", count=400),
    Worker("ruby-fork", "Ruby Resque 3.0 Worker (fork), job (a) in Ruby", "ruby", kinds=("redis",)),
)


@dataclass
class Case:
    worker: Worker
    kind: str
    runs: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    cases = [
        Case(worker, kind)
        for worker in WORKERS
        if not options.workers or worker.key in options.workers
        for kind in worker.kinds
        if not options.kinds or kind in options.kinds
    ]
    ruby = _ruby_resque()
    if ruby is None:
        _say("Ruby or Ruby Resque not found: the Ruby Resque row is skipped")
        cases = [case for case in cases if case.worker.side != "ruby"]
    with RedisServer() as server, _database() as database:
        env = {
            **os.environ,
            "BENCH_REDIS_URL": server.url,
            "BENCH_DB": database,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        subprocess.run([sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v", "0"], env=env, check=True)
        client = redis.Redis.from_url(server.url)
        for number in range(1, options.runs + 1):
            for index, case in enumerate(cases, 1):
                _say(f"[round {number}/{options.runs}, {index}/{len(cases)}] {case.kind}: {case.worker.label}")
                _run_once(case, client, env, ruby, options)
        document = _document(cases, database, options)
    path = ROOT / "benchmarks" / "results" / "realistic.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(render(cases, database))
    return 0


def _run_once(
    case: Case, client: redis.Redis, env: dict[str, str], ruby: Path | None, options: argparse.Namespace
) -> None:
    client.flushall()
    count = max(50, int(case.worker.count * options.scale))
    key = _prefill(client, case, count)
    process = start_process(_argv(case.worker, ruby), env={**env, **dict(case.worker.env)})
    try:
        wait_for(lambda: client.llen(key) <= count - count // 50, f"the worker to start on {key}")
        cpu_before, left_before = session_cpu(process.pid), client.llen(key)
        result = drain_rate(client, key, count, process, Bounds(count, options.seconds))
        cpu, done = session_cpu(process.pid) - cpu_before, left_before - client.llen(key)
        failed = _failed(client, case.worker.side)  # before stopping: a stop may fail the job in flight
    except RuntimeError as exc:
        case.errors.append(str(exc))
        _say(f"  failed: {exc}")
        return
    finally:
        stop_process(process)
    if failed:
        case.errors.append(f"{failed} jobs failed")
        _say(f"  {failed} jobs failed: this run is not counted")
        return
    if done > 0:
        result["cpu_ms_per_job"] = 1000 * cpu / done
    case.runs.append(result)
    _say(f"  {result['rate']:.0f} jobs/s, {result.get('cpu_ms_per_job', 0):.1f} ms CPU per job")


def session_cpu(session: int) -> float:
    """CPU seconds of every process in ``session`` (a worker started in its own), with their reaped children's.

    Steadier than wall time on a loaded machine: it counts the worker's own work, not
    its wait for a core. Job processes that exited but are not reaped yet are missed.
    """
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _prefill(client: redis.Redis, case: Case, count: int) -> str:
    """Pre-enqueue ``count`` jobs of the case's kind (the mix: each kind in turn); the list's key."""
    kinds = MIX if case.kind == "mix" else (case.kind,)
    names = [kinds[n % len(kinds)] for n in range(count)]
    if case.worker.side == "rq":
        from rq import Queue

        queue = Queue(QUEUE, connection=client)
        for start in range(0, count, 1000):
            batch = names[start : start + 1000]
            queue.enqueue_many([Queue.prepare_data(f"benchmarks.realistic.work.{KINDS[n]}") for n in batch])
        return queue.key
    key = f"resque:queue:{QUEUE}"
    if case.worker.side == "ruby":
        payloads = [json.dumps({"class": "RealRedis", "args": []})] * count
    else:
        payloads = [json.dumps({"class": f"real.{name}", "args": []}) for name in names]
    for start in range(0, count, 1000):
        client.rpush(key, *payloads[start : start + 1000])
    client.sadd("resque:queues", QUEUE)
    return key


def _argv(worker: Worker, ruby: Path | None) -> list[str]:
    if worker.side == "rq":
        return [sys.executable, "-m", "benchmarks.realistic.rq_worker", QUEUE]
    if worker.side == "ruby":
        assert ruby is not None
        return ["ruby", "-I", str(ruby), str(Path(__file__).with_name("resque_worker.rb")), QUEUE]
    return [sys.executable, "-m", "django", "resque_work", "--queues", QUEUE, "-v", "0", *worker.options]


def _failed(client: redis.Redis, side: str) -> int:
    if side == "rq":
        return int(client.zcard(f"rq:failed:{QUEUE}") or 0)
    return int(client.get("resque:stat:failed") or 0)


def _ruby_resque() -> Path | None:
    """Ruby Resque's lib/ (``../shared/ruby`` beside the repository, or RESQUE_RUBY_DIR), if Ruby is here."""
    base = Path(os.environ.get("RESQUE_RUBY_DIR") or ROOT.parent / "shared" / "ruby")
    lib = base / RUBY_RESQUE
    return lib if shutil.which("ruby") and lib.is_dir() else None


class _database:
    """``postgresql`` where one answers (PGHOST..., default 127.0.0.1:5432/test), else a SQLite file."""

    def __enter__(self) -> str:
        self.directory: str | None = None
        try:
            import psycopg

            psycopg.connect(_pg_dsn(), connect_timeout=3).close()
            return "postgresql"
        except Exception as exc:
            _say(f"PostgreSQL not reachable ({exc}); the jobs use SQLite")
            self.directory = tempfile.mkdtemp(prefix="bench-realistic-")
            return str(Path(self.directory) / "jobs.sqlite3")

    def __exit__(self, *exc_info: object) -> None:
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _pg_dsn() -> str:
    get = os.environ.get
    return "host=%s port=%s dbname=%s user=%s" % (
        get("PGHOST", "127.0.0.1"),
        get("PGPORT", "5432"),
        get("PGDATABASE", "test"),
        get("PGUSER", "postgres"),
    )


def render(cases: list[Case], database: str) -> str:
    """Jobs/s, then CPU per job: one row per worker, one column per kind, median (min to max over the runs)."""
    db = "PostgreSQL" if database == "postgresql" else "SQLite"
    return "\n\n".join(
        [
            _table(cases, "rate"),
            f"jobs/s, median (min\u2013max) of the runs; (b) on {db}",
            _table(cases, "cpu_ms_per_job"),
            "ms of CPU per job (the worker's processes, job processes included), median (min\u2013max)",
        ]
    )


def _table(cases: list[Case], metric: str) -> str:
    kinds = [kind for kind in ALL_KINDS if any(case.kind == kind for case in cases)]
    head = "| worker | " + " | ".join(_column(kind) for kind in kinds) + " |"
    lines = [head, "|---|" + "---:|" * len(kinds)]
    for worker in WORKERS:
        cells = []
        for kind in kinds:
            found = [case for case in cases if case.worker is worker and case.kind == kind]
            cells.append(_cell(found[0], metric) if found else "")
        if any(cells):
            lines.append(f"| {worker.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _column(kind: str) -> str:
    letters = {"redis": "(a)", "orm": "(b)", "template": "(c)", "cache": "(d)", "mail": "(e)"}
    return f"{letters[kind]} {kind}" if kind in letters else kind


def _cell(case: Case, metric: str) -> str:
    values = [run[metric] for run in case.runs if metric in run]
    if not values:
        return "error" if case.errors else ""
    summary = summarize(values)
    digits = 0 if metric == "rate" else 1
    return f"{summary.median:,.{digits}f} ({summary.low:,.{digits}f}\u2013{summary.high:,.{digits}f})"


def _document(cases: list[Case], database: str, options: argparse.Namespace) -> dict[str, object]:
    return {
        "database": database,
        "runs": options.runs,
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "cases": [
            {"worker": case.worker.key, "kind": case.kind, "runs": case.runs, "errors": case.errors} for case in cases
        ],
    }


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.realistic")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each case once per round)")
    parser.add_argument("--seconds", type=float, default=5.0, help="time bound of one run")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every job count (0.3 for a quick look)")
    parser.add_argument("--kinds", nargs="*", default=[], choices=ALL_KINDS, help="only these job kinds")
    parser.add_argument("--workers", nargs="*", default=[], choices=[w.key for w in WORKERS], help="only these")
    return parser
