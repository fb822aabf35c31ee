"""The Redis page: the server's figures without passwords, our keys paged with SCAN."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_resque import keys, server_info

URL = "admin:django_resque_overview_redis"
INFO = {
    "redis_version": "7.0.15",
    "used_memory_human": "1.2M",
    "connected_clients": 3,
    "instantaneous_ops_per_sec": 12,
    "db0": {"keys": 10, "expires": 2},
    "masterauth": "sekret",
    "config_file": "redis://:sekret@host/0",
}


@pytest.fixture
def info(fake_redis, monkeypatch, settings):
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": "redis://:sekret@redis.example:6379/0", "CONNECTION": None}
    monkeypatch.setattr(type(fake_redis), "info", lambda self, *args, **kwargs: INFO)


def test_the_server_s_figures_and_no_password(viewer_client, info, fake_redis):
    content = viewer_client.get(reverse(URL)).content.decode()
    server = dict(server_info.server())
    assert server == {
        "Connection": "redis://:***@redis.example:6379/0",
        "Version": "7.0.15",
        "Memory used": "1.2M",
        "Clients": "3",
        "Operations per second": "12",
        "Keyspace db0": "keys=10, expires=2",
    }
    assert "sekret" not in content and "7.0.15" in content


def test_info_refused_is_said(viewer_client, fake_redis):
    content = viewer_client.get(reverse(URL)).content.decode()  # fakeredis has no INFO
    assert "refused by the server" in content


def test_our_keys_by_type_and_size_a_page_at_a_time(viewer_client, info, fake_redis, monkeypatch):
    monkeypatch.setattr(server_info, "KEYS_PER_PAGE", 3)
    monkeypatch.setattr(server_info, "SCAN_COUNT", 2)
    fake_redis.rpush(keys.queue("mail"), "a", "b")
    fake_redis.set(keys.stat("processed"), 12)
    fake_redis.hset(keys.heartbeats(), "w", "t")
    fake_redis.sadd(keys.queues(), "mail")
    fake_redis.zadd(keys.delayed_schedule(), {"1": 1})
    fake_redis.set(keys.namespace() + ":<script>x</script>", "12345678", ex=100)
    fake_redis.set("other:key", "not ours")
    seen, cursor, pages = {}, 0, 0
    while True:
        response = viewer_client.get(reverse(URL) + (f"?cursor={cursor}" if cursor else ""))
        for row in response.context["rows"]:
            seen[row.cells[0].text] = [cell.text for cell in row.cells[1:]]
        pages += 1
        next_url = response.context["cursor"]["next_url"]
        if not next_url:
            break
        cursor = int(next_url.rpartition("=")[2])
    assert pages > 1
    assert seen == {
        "queue:mail": ["list", "2 items", ""],
        "stat:processed": ["string", "2 bytes", ""],
        "workers:heartbeat": ["hash", "1 fields", ""],
        "queues": ["set", "1 members", ""],
        "delayed_queue_schedule": ["zset", "1 members", ""],
        "<script>x</script>": ["string", "8 bytes", "100 s"],
    }
    assert "<script>x" not in response.content.decode()


def test_a_bad_cursor_is_a_404(viewer_client, info):
    assert viewer_client.get(reverse(URL) + "?cursor=abc").status_code == 404
