"""Shared fixtures: a real Redis server for the whole run, and helpers to reach it.

The server is RESQUE_TEST_REDIS_URL when given (its database is flushed before each
test), else a private ``redis-server`` on a free port. Without one, tests that need
it skip with the reason on a user's machine, and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import shutil

import pytest
import redis

from django_resque import connection, held_connection, history
from django_resque.testing import RedisServer


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip locally, fail in CI: nothing may be skipped there."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: nothing may be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url():
    """URL of a real Redis server for this test run."""
    given = os.environ.get("RESQUE_TEST_REDIS_URL")
    if given:
        yield given
        return
    if not shutil.which("redis-server"):
        missing("no redis-server on PATH and RESQUE_TEST_REDIS_URL not set (Debian: apt-get install redis-server)")
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.cleanup()


@pytest.fixture
def real_redis(redis_url, settings):
    """An empty real Redis, configured as RESQUE['REDIS_URL'] for this test."""
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": redis_url}
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    connection.reset()
    held_connection.forget()  # a worker run in-process (another fixture's test) declined it
    yield client
    connection.reset()
    held_connection.forget()
    client.close()


@pytest.fixture(autouse=True)
def history_written_with_each_job(monkeypatch):
    """Each job's history count goes with the script that finishes it, so a test reads it
    right after: tests/unit/test_history.py tries the batching (FLUSH_SECONDS) itself.
    Worker processes a test starts keep the setting's default."""
    monkeypatch.setattr(history, "FLUSH_SECONDS", 0.0)
    history._forget_pending()
