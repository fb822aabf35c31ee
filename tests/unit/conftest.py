"""Unit tests run on fakeredis: each test gets a fresh, empty fake server."""

from __future__ import annotations

import fakeredis
import pytest

from django_resque import connection, held_connection
from tests.support.admin_users import (  # admin page users and their clients
    changer_client,
    csrf_client,
    staff_client,
    superuser_client,
    viewer_client,
)

__all__ = ["changer_client", "csrf_client", "fake_redis", "staff_client", "superuser_client", "viewer_client"]


@pytest.fixture(autouse=True)
def fake_redis(monkeypatch):
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr(connection, "_build_client", lambda: client)
    connection.reset()
    yield client
    connection.reset()
    held_connection.forget()  # a worker run in-process declined it
