"""Measuring tools shared by every side: bounded loops, queue draining, latency, RSS.

Only the standard library and redis-py: this module runs in our virtualenv and in the
peers' one alike, so every system is measured by the same code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

LATENCY_KEY = "bench:latency"
POLL_SECONDS = 0.005
START_DEADLINE = 60.0


@dataclass(frozen=True)
class Bounds:
    """Every measured loop stops at ``count`` items or ``seconds``, whichever comes first."""

    count: int
    seconds: float


def emit(**result: object) -> None:
    """Print the one JSON result line the runner reads."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def rate_loop(step: Callable[[], int], bounds: Bounds) -> dict[str, float]:
    """Call ``step`` (returns items done) until the bounds; items per second."""
    done, started = 0, time.perf_counter()
    deadline = started + bounds.seconds
    while done < bounds.count:
        done += step()
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    return {"rate": done / elapsed, "count": done, "seconds": elapsed}


def start_process(argv: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a worker in its own process group, output discarded unless BENCH_VERBOSE."""
    out = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
    return subprocess.Popen(list(argv), env=env, stdout=out, stderr=out, start_new_session=True)


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 15.0) -> None:
    """Ask the worker's process group to stop, then kill what is left after ``grace``."""
    if process.poll() is None:
        _signal_group(process, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=grace)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def wait_for(predicate: Callable[[], bool], what: str, deadline: float = START_DEADLINE) -> None:
    """Poll ``predicate`` until true; RuntimeError naming ``what`` after ``deadline`` s."""
    limit = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > limit:
            raise RuntimeError(f"timed out after {deadline:.0f}s waiting for {what}")
        time.sleep(POLL_SECONDS)


def drain_rate(
    client: redis.Redis, key: str, total: int, process: subprocess.Popen[bytes], bounds: Bounds
) -> dict[str, float]:
    """Jobs/s of a worker emptying list ``key`` that held ``total`` jobs when it started.

    The clock starts once ~2% of the jobs are gone (start-up and warm-up excluded)
    and stops when the list is empty or the bounds are reached.
    """
    warmup = max(1, total // 50)
    wait_for(lambda: _alive(process) and client.llen(key) <= total - warmup, f"the worker to start on {key}")
    first, started = client.llen(key), time.perf_counter()
    last = first
    while last > 0 and first - last < bounds.count and time.perf_counter() - started < bounds.seconds:
        _alive(process)
        time.sleep(POLL_SECONDS)
        last = client.llen(key)
    elapsed = time.perf_counter() - started
    return {"rate": (first - last) / elapsed, "count": first - last, "seconds": elapsed}


def _alive(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"worker {_short(process.args)!r} exited with {process.returncode}")
    return True


def _short(argv: object) -> str:
    """The command without directories, for messages that end up in reports."""
    return " ".join(os.path.basename(str(arg)) for arg in (argv if isinstance(argv, list) else [argv]))


def latency_samples(
    client: redis.Redis, enqueue_stamp: Callable[[float], None], samples: int, seconds: float
) -> list[float]:
    """Enqueue->start latencies (s) on an idle worker, one job at a time.

    Each job gets its enqueue time and pushes ``now - then`` to LATENCY_KEY first thing.
    A pause between jobs lets the worker go back to waiting, so every job finds it idle.
    """
    client.delete(LATENCY_KEY)
    found: list[float] = []
    limit = time.monotonic() + seconds
    while len(found) < samples and time.monotonic() < limit:
        enqueue_stamp(time.time())
        reply = client.blpop([LATENCY_KEY], timeout=30)
        if reply is None:
            raise RuntimeError("no latency stamp within 30 s: is the worker running?")
        found.append(float(reply[1]))
        time.sleep(0.01 + (len(found) % 5) * 0.004)
    return found


def stamp(sent: float) -> None:
    """Called first thing by a latency job: record how long ago it was enqueued."""
    elapsed = time.time() - sent
    stamp_client().rpush(LATENCY_KEY, repr(elapsed))


_stamp_clients: dict[int, redis.Redis] = {}


def stamp_client() -> redis.Redis:
    """A client for the job's own notes, one per process (jobs may run in forked children)."""
    pid = os.getpid()
    if pid not in _stamp_clients:
        _stamp_clients.clear()
        _stamp_clients[pid] = redis.Redis.from_url(redis_url())
    return _stamp_clients[pid]


def redis_url() -> str:
    """The benchmark server, from BENCH_REDIS_URL (set by the runner before any side is imported)."""
    try:
        return os.environ["BENCH_REDIS_URL"]
    except KeyError:
        raise RuntimeError("BENCH_REDIS_URL is not set: run through `python -m benchmarks run`") from None


def warm_up_latency(client: redis.Redis, enqueue_stamp: Callable[[float], None]) -> None:
    """Run one stamp job so the worker is up and imported before measuring."""
    client.delete(LATENCY_KEY)
    enqueue_stamp(time.time())
    if client.blpop([LATENCY_KEY], timeout=START_DEADLINE) is None:
        raise RuntimeError("the worker did not run a job within %.0f s" % START_DEADLINE)


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def rss_after(
    client: redis.Redis, key: str, process: subprocess.Popen[bytes], checkpoints: Sequence[int], bounds: Bounds
) -> dict[str, int]:
    """Parent RSS (KiB) once each checkpoint's count of the ``bounds.count`` pre-enqueued jobs is done.

    Bounded by ``bounds.seconds``: a checkpoint not reached by then is replaced by the
    count reached, so a slow mode reports "RSS after N jobs" for a smaller N.
    """
    found: dict[str, int] = {}
    limit = time.monotonic() + bounds.seconds
    for wanted in checkpoints:
        done = bounds.count - client.llen(key)
        while done < wanted and time.monotonic() < limit:
            _alive(process)
            time.sleep(POLL_SECONDS * 4)
            done = bounds.count - client.llen(key)
        found[str(min(done, wanted))] = rss_kib(process.pid)
        if done < wanted:
            break
    return found
