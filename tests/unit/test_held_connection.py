"""The held connection of ``connection.execute``, on a plain redis.Redis client over fakeredis connections."""

from __future__ import annotations

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from django_resque import connection, held_connection


@pytest.fixture(autouse=True)
def no_held_connection():
    held_connection.forget()
    yield
    held_connection.forget()


def _client(**pool_options) -> redis.Redis:
    """A redis.Redis (the type ``execute`` holds connections for) whose connections reach a fake server."""
    pool_class = pool_options.pop("pool_class", redis.ConnectionPool)
    server, retry = fakeredis.FakeServer(), Retry(NoBackoff(), 3)
    pool = pool_class(connection_class=fakeredis.FakeRedisConnection, server=server, retry=retry, **pool_options)
    return redis.Redis(connection_pool=pool)


def _held() -> redis.Connection:
    assert held_connection._held is not None
    return held_connection._held.connection


def _pool_counts(client: redis.Redis) -> tuple[int, int]:
    pool = client.connection_pool
    return len(pool._in_use_connections), len(pool._available_connections)


def test_commands_run_on_one_connection_held_from_the_clients_pool():
    client = _client()
    assert connection.execute(client, "RPUSH", "q", "a") == 1
    first = _held()
    assert connection.execute(client, "RPUSH", "q", "b") == 2
    assert _held() is first
    assert _pool_counts(client) == (1, 0)  # counted in use by its pool: close() reaches it


def test_a_caller_that_finds_it_busy_uses_the_pool():
    client = _client()
    connection.execute(client, "PING")
    assert held_connection._lock.acquire(blocking=False)  # as another thread mid-command
    try:
        assert connection.execute(client, "RPUSH", "q", "a") == 1
    finally:
        held_connection._lock.release()
    assert _pool_counts(client) == (1, 1)  # the held one, and the pool's, given back


def test_a_forked_child_leaves_the_parents_connection_alone_and_takes_its_own(monkeypatch):
    client = _client()
    connection.execute(client, "PING")
    parents = _held()
    parent_socket = parents._sock
    monkeypatch.setattr(held_connection.os, "getpid", lambda: -1)  # as a child whose fork bypassed the hook
    assert connection.execute(client, "RPUSH", "q", "a") == 1
    assert _held() is not parents
    assert parents._sock is parent_socket  # not disconnected, not given back


def test_the_fork_hook_frees_a_lock_a_parent_thread_held_and_nothing_else():
    client = _client()
    connection.execute(client, "PING")
    parents = held_connection._held
    held_connection._unlock_in_child()  # as in a child forked while no thread held it
    assert held_connection._lock.acquire(blocking=False)
    held_connection._unlock_in_child()  # as in a child forked while a thread held it
    assert held_connection._lock.acquire(blocking=False)
    held_connection._lock.release()
    assert held_connection._held is parents  # left to the pid check


def test_an_exception_between_send_and_read_disconnects_it(monkeypatch):
    client = _client()
    connection.execute(client, "PING")
    conn = _held()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # a signal handler raising after the command went out

    monkeypatch.setattr(conn, "read_response", interrupted)
    with pytest.raises(KeyboardInterrupt):
        connection.execute(client, "RPUSH", "q", "a")
    assert conn._sock is None
    monkeypatch.undo()
    assert connection.execute(client, "RPUSH", "q", "b") == 2  # its own reply, on a new socket


def test_an_error_reply_keeps_the_connection():
    client = _client()
    connection.execute(client, "SET", "s", "x")
    sock = _held()._sock
    with pytest.raises(redis.ResponseError):
        connection.execute(client, "RPUSH", "s", "a")
    assert _held()._sock is sock
    assert connection.execute(client, "GET", "s") == b"x"


def test_a_reply_left_unread_on_it_is_never_taken_for_the_next_commands():
    client = _client()
    connection.execute(client, "PING")
    _held().send_command("RPUSH", "q", "stray")  # a reply nobody reads
    assert connection.execute(client, "RPUSH", "q", "a") == 2
    assert connection.execute(client, "LRANGE", "q", 0, -1) == [b"stray", b"a"]


def test_the_clients_retry_policy_still_applies(monkeypatch):
    client = _client()
    connection.execute(client, "PING")
    conn = _held()
    fail_once = iter([redis.ConnectionError("dropped")])
    send = conn.send_command

    def flaky(*args, **kwargs):
        for error in fail_once:
            raise error
        return send(*args, **kwargs)

    monkeypatch.setattr(conn, "send_command", flaky)
    assert connection.execute(client, "RPUSH", "q", "a") == 1
    conn.retry = Retry(NoBackoff(), 0)
    fail_once = iter([redis.ConnectionError("dropped")])
    with pytest.raises(redis.ConnectionError):
        connection.execute(client, "RPUSH", "q", "b")


@pytest.mark.parametrize(
    "options",
    [{"max_connections": 10}, {"pool_class": redis.BlockingConnectionPool, "max_connections": 100}],
    ids=["small pool", "blocking pool"],
)
def test_pools_it_does_not_hold_from_serve_every_command(options):
    client = _client(**options)
    assert connection.execute(client, "RPUSH", "q", "a") == 1
    assert connection.execute(client, "RPUSH", "q", "b") == 2
    assert _held() is None


def test_a_new_client_gets_its_own_and_the_old_pool_gets_its_connection_back():
    old, new = _client(), _client()
    connection.execute(old, "PING")
    connection.execute(new, "PING")
    assert _pool_counts(old) == (0, 1)
    assert _pool_counts(new) == (1, 0)


def test_a_process_that_declines_shares_the_pools_one_connection_with_its_other_commands():
    client = _client()
    held_connection.decline()
    assert connection.execute(client, "RPUSH", "q", "a") == 1
    assert client.rpush("q", "b") == 2
    assert connection.execute(client, "RPUSH", "q", "c") == 3
    assert _pool_counts(client) == (0, 1)  # (in use, idle): one connection for everything


def test_a_child_of_a_process_that_declined_holds_one(monkeypatch):
    client = _client()
    held_connection.decline()
    monkeypatch.setattr(held_connection.os, "getpid", lambda: -1)  # as a forked child sees it
    connection.execute(client, "RPUSH", "q", "a")
    assert _held() is not None
