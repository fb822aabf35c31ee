"""The held connection of ``connection.execute`` on a real server: restart, fork, threads, interruptions."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from django_resque import connection, held_connection, keys, queue
from django_resque.payload import build
from django_resque.testing import RedisServer


@pytest.fixture
def private_server():
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def client(real_redis):
    held_connection.forget()
    yield connection.get_redis()
    held_connection.forget()


def _held() -> redis.Connection:
    assert held_connection._held is not None
    return held_connection._held.connection


def _in_child(work: Callable[[], bytes]) -> bytes:
    """Run ``work`` in a forked child; its result, or the child's failure as an assertion."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.write(write_end, work())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as reader:
        result = reader.read()
    assert os.waitstatus_to_exitcode(status) == 0
    return result


def test_the_held_connection_survives_a_server_restart_without_needing_a_retry(private_server, settings):
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": private_server.url}
    client = redis.Redis.from_url(private_server.url, retry=Retry(NoBackoff(), 0))
    connection.set_redis(client)
    held_connection.forget()
    queue.push("q", build("X", [1]))
    private_server.restart()  # the held socket is now closed by the server, and the scripts are gone
    queue.push("q", build("X", [2]))
    assert client.lrange(keys.queue("q"), 0, -1) == [b'{"class":"X","args":[2]}']
    connection.reset()


def test_a_forked_child_uses_its_own_connection_and_the_parent_keeps_its_own(client):
    connection.execute(client, "PING")
    parent_id = connection.execute(client, "CLIENT", "ID")

    def child() -> bytes:
        connection.inherit()
        return b"%d" % connection.execute(connection.get_redis(), "CLIENT", "ID")

    child_id = int(_in_child(child))
    assert child_id != parent_id
    assert connection.execute(client, "CLIENT", "ID") == parent_id  # same socket, still in step
    assert connection.execute(client, "RPUSH", "after-fork", "a") == 1


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # the point of the test
def test_a_child_forked_while_another_thread_holds_it_still_gets_a_held_connection(client):
    connection.execute(client, "PING")
    taken, release = threading.Event(), threading.Event()

    def busy(conn, args):
        taken.set()
        release.wait(5)
        return None

    thread = threading.Thread(target=held_connection.run, args=(client.connection_pool, busy, ()))
    thread.start()
    assert taken.wait(5)
    try:

        def child() -> bytes:
            connection.inherit()
            child_client = connection.get_redis()
            connection.execute(child_client, "PING")
            held = held_connection._held
            return b"%d" % (held is not None and held.pid == os.getpid() and held.connection is not None)

        assert _in_child(child) == b"1"
    finally:
        release.set()
        thread.join(5)


def test_threads_share_it_or_fall_back_to_the_pool_and_each_gets_its_own_replies(client):
    per_thread, threads = 250, 8
    replies: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(per_thread):
                replies[index].append(connection.execute(client, "INCR", "counter"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(30)
    assert errors == []
    assert all(mine == sorted(mine) for mine in replies)  # each thread saw its own INCRs, in order
    assert sorted(value for mine in replies for value in mine) == list(range(1, per_thread * threads + 1))
    assert int(client.get("counter")) == per_thread * threads


class _Interrupted(Exception):
    pass


def test_a_signal_raising_mid_command_leaves_no_reply_for_the_next_command(client):
    connection.execute(client, "PING")

    def interrupt(signum, frame):
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        with pytest.raises(_Interrupted):
            connection.execute(client, "BLPOP", "empty", 0.5)  # the reply (nil) comes after the signal
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert connection.execute(client, "RPUSH", "next", "a") == 1
    assert connection.execute(client, "PING") == b"PONG"


def test_an_exception_just_after_sending_disconnects_it(client, monkeypatch):
    connection.execute(client, "PING")
    conn = _held()
    send = conn.send_command

    def send_then_interrupt(*args, **kwargs):
        send(*args, **kwargs)
        raise KeyboardInterrupt  # as a signal handler raising before the reply is read

    monkeypatch.setattr(conn, "send_command", send_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        connection.execute(client, "RPUSH", "q", "first")
    assert conn._sock is None
    monkeypatch.undo()
    assert connection.execute(client, "RPUSH", "q", "second") == 2  # the first went through; its reply is gone
