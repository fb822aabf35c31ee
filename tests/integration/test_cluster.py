"""Redis Cluster: with a hash-tagged namespace every key and script stays in one slot."""

from __future__ import annotations

import datetime as dt

import pytest
from redis.cluster import RedisCluster

import django_resque
from tests.support import jobs as support


def test_enqueue_info_and_delayed_jobs_work_on_a_cluster(on_cluster):
    support.remember.delay(1)
    support.remember.delay_many([(2,), (3,)])
    support.remember.enqueue_at(dt.datetime(2100, 1, 1, tzinfo=dt.UTC), 4)
    assert django_resque.size("test") == 3
    assert django_resque.info()["pending"] == 3
    assert on_cluster.zcard("{resque}:delayed_queue_schedule") == 1
    assert django_resque.dequeue(support.remember, 2) == 1
    slots = {on_cluster.keyslot(key) for key in on_cluster.keys("{resque}:*", target_nodes=RedisCluster.ALL_NODES)}
    assert len(slots) == 1


def test_cluster_needs_a_hash_tag_namespace(settings, cluster):
    from django.core.exceptions import ImproperlyConfigured

    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": cluster.url}
    with pytest.raises(ImproperlyConfigured, match="hash tag"):
        django_resque.size("test")
