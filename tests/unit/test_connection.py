import pytest
import redis

from django_resque import connection
from django_resque import queue as queues
from django_resque.exceptions import ResqueConfigurationError, ResqueConnectionError
from django_resque.payload import build


def test_mask_password():
    assert connection.mask_password("redis://:s3cret@h:6379/0") == "redis://:***@h:6379/0"
    assert connection.mask_password("redis://user:s3cret@h/0") == "redis://user:***@h/0"
    assert connection.mask_password("redis://h/0") == "redis://h/0"


def test_unreachable_redis_raises_our_error_with_masked_url(settings, monkeypatch):
    monkeypatch.undo()  # drop the fakeredis client for this test
    connection.reset()
    settings.RESQUE = {"REDIS_URL": "redis://:hunter2@127.0.0.1:1/0", "REDIS_OPTIONS": {"socket_connect_timeout": 0.2}}
    with pytest.raises(ResqueConnectionError) as caught:
        queues.push("mail", build("X", []))
    assert "redis://:***@127.0.0.1:1/0" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert isinstance(caught.value, ConnectionError)


def test_client_is_rebuilt_in_a_forked_child(monkeypatch):
    first = connection.get_redis()
    monkeypatch.setattr(connection, "_client_pid", -1)  # as if we were another process
    monkeypatch.setattr(connection, "_build_client", lambda: "new")
    assert connection.get_redis() == "new"
    assert first != "new"


def test_connection_alias_reuses_the_django_redis_pool(settings, monkeypatch):
    monkeypatch.undo()
    connection.reset()
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/3"},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.RESQUE = {"CONNECTION": "default"}
    client = connection.get_redis()
    assert isinstance(client, redis.Redis)
    assert client.connection_pool.connection_kwargs["db"] == 3
    settings.RESQUE = {"CONNECTION": "missing"}
    with pytest.raises(ResqueConfigurationError, match="'missing', which is not in CACHES"):
        connection.get_redis()
    settings.RESQUE = {"CONNECTION": "local"}
    with pytest.raises(ResqueConfigurationError, match="not a django-redis cache"):
        connection.get_redis()


def test_sentinel_url_is_parsed():
    parsed = connection.parse_sentinel_url("redis+sentinel://:pw@s1:26379,s2:26380/mymaster/2?socket_timeout=0.5")
    assert parsed == {
        "sentinels": [("s1", 26379), ("s2", 26380)],
        "service": "mymaster",
        "db": 2,
        "password": "pw",
        "options": {"socket_timeout": 0.5},
    }
    with pytest.raises(ResqueConfigurationError, match="sentinel form"):
        connection.parse_sentinel_url("redis+sentinel://s1:26379")


def test_sentinel_url_builds_a_master_client(settings, monkeypatch):
    monkeypatch.undo()
    connection.reset()
    settings.RESQUE = {"REDIS_URL": "redis+sentinel://127.0.0.1:26379/mymaster/1"}
    client = connection.get_redis()
    assert client.connection_pool.service_name == "mymaster"


def test_cluster_url_is_parsed():
    assert connection.parse_cluster_url("redis+cluster://:pw@a:7000,b") == {
        "nodes": [("a", 7000), ("b", 6379)],
        "password": "pw",
    }
    with pytest.raises(ResqueConfigurationError, match="cluster form"):
        connection.parse_cluster_url("redis+cluster://")


def _capturing_connection() -> tuple[redis.Connection, list[bytes]]:
    """An unconnected redis.Connection that keeps what it would send."""
    conn, sent = redis.Connection(), []
    if type(conn._command_packer).__name__ != "HiredisRespSerializer":
        pytest.skip("redis-py packs in Python here (no hiredis)")
    conn.send_packed_command = lambda packed, check_health=True: sent.append(b"".join(packed))
    return conn, sent


@pytest.mark.parametrize(
    "args",
    [
        ("EVALSHA", "f" * 40, 2, "resque:worker:w", b"\x00raw", "", 0, 86400, 2.5, "caf\u00e9"),
        ("SET", "k", bytearray(b"v")),  # converted by redis-py first: its own packing
        ("SET", "k", memoryview(b"v")),
        ("SCRIPT LOAD", "return 1"),  # a command of two words: split by redis-py
    ],
)
def test_commands_are_sent_as_redis_py_packs_them(args):
    conn, sent = _capturing_connection()
    connection._send(conn, args)
    assert sent == [b"".join(conn._command_packer.pack(*args))]


def test_an_argument_redis_py_refuses_is_refused_alike():
    conn, sent = _capturing_connection()
    with pytest.raises(redis.DataError):
        connection._send(conn, ("SET", "k", None))
    assert sent == []
