"""Integration tests run against a real Redis server and real processes."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _real_redis(real_redis):
    return real_redis
