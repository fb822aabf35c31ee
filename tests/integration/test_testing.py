"""The test helpers stop what they started when starting fails."""

import pytest

from django_resque import testing


def test_cluster_start_failure_stops_the_nodes(monkeypatch):
    servers = testing.RedisClusterServers()

    def broken_create():
        raise RuntimeError("redis-cli --cluster create failed")

    monkeypatch.setattr(servers, "_create_cluster", broken_create)
    with pytest.raises(RuntimeError, match="create failed"):
        servers.start()
    assert all(node.process is None for node in servers.nodes)


def test_server_that_never_answers_is_stopped(monkeypatch):
    server = testing.RedisServer()
    monkeypatch.setattr(server, "_wait_until_ready", lambda: (_ for _ in ()).throw(TimeoutError("no answer")))
    with pytest.raises(TimeoutError):
        server.start()
    assert server.process is None
    server.cleanup()
