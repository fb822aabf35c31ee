"""The real Ruby Resque 3.0, resque-scheduler 5.0 and resque-web beside our processes.

The gems' sources are RESQUE_RUBY_SOURCES (default ``../shared/ruby`` from the repo
root: ``resque-3.0.0/``, ``resque-scheduler-5.0.0/``, ``resque-retry-1.8.1/``); the
libraries they need are Debian's (tests/setup-venv installs them). Without ruby or
the sources the tests skip with the reason, and fail in CI. Ruby processes start once
per module (workers, scheduler, resque-web) or once per run (the console), so the
suite stays quick; each test still starts from an empty Redis.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from django_resque.testing import free_port
from tests.conftest import missing
from tests.integration.worker.conftest import done, failures, start_worker, wait_until

__all__ = ["done", "failures", "start_worker", "wait_until"]

ROOT = Path(__file__).resolve().parents[2]
FLEET = Path(__file__).resolve().parent / "ruby" / "fleet.rb"
GEMS = ("resque-3.0.0", "resque-scheduler-5.0.0", "resque-retry-1.8.1")
RAN_KEY = "resque:interop:ran"  # Ruby writes "interop:ran" through the resque namespace


def ruby_sources() -> Path:
    """Where the Ruby gems' sources are: RESQUE_RUBY_SOURCES, else ../shared/ruby."""
    return Path(os.environ.get("RESQUE_RUBY_SOURCES") or ROOT.parent / "shared" / "ruby").resolve()


def ruby_command() -> list[str]:
    """``ruby -I <gem>/lib ... fleet.rb``, or a skip (a failure in CI) naming what is missing."""
    if not shutil.which("ruby"):
        missing("no ruby on PATH (Debian: apt-get install ruby ruby-redis ruby-redis-namespace ...; tests/setup-venv)")
    sources = ruby_sources()
    absent = [gem for gem in GEMS if not (sources / gem / "lib").is_dir()]
    if absent:
        missing(f"Ruby gem sources {', '.join(absent)} not found in {sources} (set RESQUE_RUBY_SOURCES)")
    includes = [arg for gem in GEMS for arg in ("-I", str(sources / gem / "lib"))]
    return ["ruby", *includes, str(FLEET)]


class RubyProcess:
    """One Ruby Resque process; its output goes to a log shown when a test fails."""

    def __init__(self, args: list[str], redis_url: str, log: Path, **env: str) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [*ruby_command(), *args],
            cwd=FLEET.parent,
            env={**os.environ, "REDIS_URL": redis_url, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if args == ["console"] else log.open("wb"),
            stderr=log.open("ab") if args == ["console"] else subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Ask it to stop (Ruby's TERM), then kill its whole group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


class RubyConsole(RubyProcess):
    """A Ruby process with Resque loaded that evaluates one line at a time."""

    def eval(self, code: str):
        """The JSON value of ``code`` run in Ruby; a Ruby exception raises AssertionError."""
        assert "\n" not in code
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(code.encode() + b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the Ruby console died; log:\n{self.output()}")
        reply = json.loads(line)
        if "error" in reply:
            raise AssertionError(f"Ruby raised {reply['error']} running {code}")
        return reply["ok"]


@pytest.fixture(scope="session")
def ruby(redis_url, tmp_path_factory):
    """A Ruby console (Resque, resque-scheduler, resque-retry loaded) for the whole run."""
    console = RubyConsole(["console"], redis_url, tmp_path_factory.mktemp("ruby") / "console.log")
    yield console
    console.stop()


@pytest.fixture(scope="module")
def start_ruby(redis_url, tmp_path_factory):
    """start_ruby("work", "ruby") / ("scheduler") / ("web", port) -> RubyProcess, for the module."""
    started: list[RubyProcess] = []
    logs = tmp_path_factory.mktemp("ruby-fleet")

    def start(*args: str, **env: str) -> RubyProcess:
        process = RubyProcess(list(args), redis_url, logs / f"{args[0]}-{len(started)}.log", **env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def resque_web(start_ruby):
    """resque-web (Sinatra, with resque-scheduler's tabs) on a free port: its base URL."""
    port = free_port()
    web = start_ruby("web", str(port))
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return get(base + "/overview")[0] == 200
        except OSError:
            return web.process.poll() is not None and _raise_dead(web)

    wait_until(up, timeout=30, what="resque-web to answer")
    return base


def _raise_dead(process: RubyProcess) -> bool:
    raise AssertionError(f"Ruby process exited; log:\n{process.output()}")


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET (errors included, not raised)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def post(url: str) -> int:
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ran(client) -> list[list]:
    """What the Ruby jobs ran, oldest first: [class, args] each."""
    return [json.loads(item) for item in client.lrange(RAN_KEY, 0, -1)]


def settle(seconds: float = 0.5) -> None:
    """A short pause for something that must NOT happen (a second run) to show up."""
    time.sleep(seconds)
