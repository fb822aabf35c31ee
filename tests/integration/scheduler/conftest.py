"""Real ``manage.py resque_scheduler`` processes against the test run's Redis server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LOCK_TIMEOUT = 2  # seconds: failover tests wait for this to run out


def wait_until(predicate, timeout=30.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it is truthy (and return it), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def start_scheduler(redis_url, tmp_path):
    """Start scheduler processes (tests.settings); each is killed at teardown if still alive."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*extra: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "RESQUE_DEMO_VAR": str(tmp_path),
        }
        command = [sys.executable, "manage.py", "resque_scheduler", "--interval", "0.2"]
        command += ["--lock-timeout", str(LOCK_TIMEOUT), *extra]
        log = (tmp_path / f"scheduler-{len(started)}.log").open("wb")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)


def lock_value(process: subprocess.Popen[bytes]) -> str:
    import socket

    return f"{socket.gethostname()}:{process.pid}"
