"""The chaos suite: the real system (redis-server with AOF, workers, schedulers) under faults.

Short form by default (part of ``tests/run``). ``RESQUE_CHAOS=long`` runs the long form:
bigger sizes, plus the tests marked ``chaos_long``, which are otherwise deselected (not
skipped, so a CI run shows no skip).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from django_resque.testing import RedisServer
from tests.conftest import missing
from tests.integration.scheduler.conftest import start_scheduler  # noqa: F401 (fixture)
from tests.integration.worker.conftest import start_worker  # noqa: F401 (fixture)

LONG = os.environ.get("RESQUE_CHAOS", "").lower() == "long"


def pytest_collection_modifyitems(config, items):
    if LONG:
        return
    long_only = [item for item in items if item.get_closest_marker("chaos_long")]
    if long_only:
        config.hook.pytest_deselected(items=long_only)
        items[:] = [item for item in items if not item.get_closest_marker("chaos_long")]


@pytest.fixture
def redis_server():
    """A private redis-server with AOF on, as in production, that a test may restart."""
    if not shutil.which("redis-server"):
        missing("no redis-server on PATH (Debian: apt-get install redis-server)")
    server = RedisServer(appendonly=True).start()
    yield server
    server.cleanup()


@pytest.fixture
def redis_url(redis_server):
    """Every chaos test (and ``real_redis``, ``start_worker``, ``start_scheduler``) uses its own server."""
    return redis_server.url


@pytest.fixture
def resque_settings(monkeypatch):
    """resque_settings(HEARTBEAT_INTERVAL=1, ...): RESQUE settings for the processes started next."""

    def apply(**values: object) -> None:
        monkeypatch.setenv("RESQUE_TEST_SETTINGS", json.dumps(values))

    return apply


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")
