"""Integration tests run against a real Redis server and real processes."""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster

from django_resque import connection
from django_resque.testing import RedisClusterServers


@pytest.fixture(autouse=True)
def _real_redis(real_redis):
    return real_redis


@pytest.fixture(scope="session")
def cluster():
    """A 3-node Redis Cluster on loopback ports, for the whole run."""
    servers = RedisClusterServers().start()
    yield servers
    servers.cleanup()


@pytest.fixture
def on_cluster(settings, cluster):
    """Settings pointed at the cluster with a hash-tag namespace; our keys emptied first."""
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": cluster.url, "NAMESPACE": "{resque}"}
    connection.reset()
    client = connection.get_redis()
    assert isinstance(client, RedisCluster)
    for key in client.keys("{resque}:*", target_nodes=RedisCluster.ALL_NODES):
        client.delete(key)
    yield client
    connection.reset()
