"""Unit tests run on fakeredis: each test gets a fresh, empty fake server."""

from __future__ import annotations

import fakeredis
import pytest

from django_resque import connection


@pytest.fixture(autouse=True)
def fake_redis(monkeypatch):
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr(connection, "_build_client", lambda: client)
    connection.reset()
    yield client
    connection.reset()
