"""Real worker processes (``manage.py resque_work``) against the test run's Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_resque.testing import environment_with
from tests.support.jobs import DONE_KEY

ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 30.0


def wait_until(predicate, timeout: float = DEADLINE, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class WorkerProcess:
    """A ``resque_work`` subprocess whose output goes to a file shown on failure."""

    def __init__(self, args: list[str], redis_url: str, log: Path, command: str = "resque_work") -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), command, *args],
            cwd=ROOT,
            env=environment_with(redis_url, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONUNBUFFERED="1"),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown kills its job children too
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = DEADLINE) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker did not exit within {timeout}s; log:\n{self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture
def start_worker(redis_url, tmp_path):
    """start_worker("--queues", "test", ..., url=None) -> WorkerProcess; all killed at teardown.

    ``command="resque_scheduler"`` starts another management command the same way.
    """
    started: list[WorkerProcess] = []

    def start(*args: str, url: str | None = None, command: str = "resque_work") -> WorkerProcess:
        log = tmp_path / f"{command}-{len(started)}.log"
        worker = WorkerProcess(list(args), url or redis_url, log, command)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def done(client) -> list[object]:
    """What the test jobs recorded, oldest first."""
    return [json.loads(item) for item in client.lrange(DONE_KEY, 0, -1)]


def failures(client) -> list[dict]:
    return [json.loads(item) for item in client.lrange("resque:failed", 0, -1)]


def child_pid(client, tag: str) -> int:
    """The pid of the process that started sleepy(..., tag)."""
    notes = wait_until(lambda: [n for n in done(client) if isinstance(n, dict) and n.get("started") == tag])
    return int(notes[0]["pid"])


def parent_of(pid: int) -> int:
    """The parent pid of a live process (from /proc)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def title_has(pid: int, text: bytes) -> bool:
    """Whether a live process's title (``ps``) holds ``text``."""
    try:
        return text in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def catches(pid: int, signum: int) -> bool:
    """Whether a live process has a handler for ``signum`` (``SigCgt`` in /proc): a worker
    has installed its handlers, so a stop signal sent now is acted on, not lost."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (signum - 1) & 1)


def is_fork_server(pid: int) -> bool:
    return title_has(pid, b"Fork server")


def fork_servers_of(worker: int) -> list[int]:
    return [pid for pid in children_of(worker) if is_fork_server(pid)]


def job_processes_of(worker: int) -> list[int]:
    """The worker's live job processes: forked by it, or by its fork server."""
    mine = children_of(worker)
    served = [pid for server in mine if is_fork_server(server) for pid in children_of(server)]
    return [pid for pid in mine if not is_fork_server(pid)] + served


def worker_of(job_process: int) -> int:
    """The worker of a live job process (the parent of its fork server, if it has one)."""
    parent = parent_of(job_process)
    return parent_of(parent) if is_fork_server(parent) else parent


def is_gone(pid: int) -> bool:
    """Exited: no such process, or a zombie not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
