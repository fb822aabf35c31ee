"""Sentinel: jobs reach the current master, also after a failover."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis

import django_resque
from django_resque import connection
from django_resque.testing import RedisServer, free_port
from tests.support import jobs as support


def _wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def sentinel_setup(tmp_path):
    master = RedisServer().start()
    replica = RedisServer().start()
    redis.Redis(port=replica.port).replicaof("127.0.0.1", master.port)
    sentinel_port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\n"
        f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n"
        "sentinel down-after-milliseconds mymaster 1000\n"
        "sentinel failover-timeout mymaster 5000\n"
    )
    sentinel = subprocess.Popen(
        [master.executable, str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    client = redis.Redis(port=sentinel_port)
    assert _wait_for(lambda: _answers(client)), "sentinel did not start"
    yield sentinel_port, master, replica, client
    sentinel.terminate()
    sentinel.wait(timeout=10)
    master.cleanup()
    replica.cleanup()


def _answers(client):
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _master_port(client):
    return int(client.sentinel_get_master_addr_by_name("mymaster")[1])


def test_enqueue_goes_to_the_master_and_follows_a_failover(settings, sentinel_setup):
    sentinel_port, master, replica, sentinel = sentinel_setup
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": f"redis+sentinel://127.0.0.1:{sentinel_port}/mymaster/0"}
    connection.reset()
    support.remember.delay(1)
    assert redis.Redis(port=master.port).llen("resque:queue:test") == 1
    assert _wait_for(lambda: redis.Redis(port=replica.port).llen("resque:queue:test") == 1)

    sentinel.execute_command("SENTINEL", "FAILOVER", "mymaster")
    assert _wait_for(lambda: _master_port(sentinel) == replica.port), "failover did not happen"
    # Until Sentinel has turned the old master into a replica it still takes writes, which
    # Redis then discards (asynchronous replication; see docs/scaling.md). Wait for that.
    assert _wait_for(lambda: redis.Redis(port=master.port).role()[0] == b"slave"), "old master not demoted"
    assert _wait_for(lambda: _enqueue_succeeds(2)), "client did not follow the new master"
    assert b'"args":[2],' in redis.Redis(port=replica.port).lrange("resque:queue:test", 0, -1)[-1]
    assert django_resque.size("test") >= 2
    connection.reset()


def _enqueue_succeeds(value):
    try:
        support.remember.delay(value)
        return True
    except (django_resque.exceptions.ResqueConnectionError, redis.ReadOnlyError, redis.ResponseError):
        return False
