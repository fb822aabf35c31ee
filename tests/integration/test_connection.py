"""The Redis client on a real server: the lean command path, scripts, and a forked child's client."""

from __future__ import annotations

import os

from django_resque import connection, keys, scripts


def test_execute_returns_the_raw_reply_on_the_one_connection_it_holds(real_redis):
    client = connection.get_redis()
    assert connection.execute(client, "RPUSH", "lean", b"a", "b") == 2
    assert connection.execute(client, "LRANGE", "lean", 0, -1) == [b"a", b"b"]
    pool = client.connection_pool
    assert len(pool._in_use_connections) == 1 and len(pool._available_connections) == 0


def test_closing_the_clients_pool_closes_the_held_connection_too(real_redis):
    client = connection.get_redis()
    first_id = connection.execute(client, "CLIENT", "ID")
    client.connection_pool.disconnect()
    assert first_id not in [entry["id"] for entry in real_redis.client_list()]
    assert connection.execute(client, "CLIENT", "ID") != first_id  # and the next command reconnects


def test_execute_reconnects_after_the_server_dropped_the_connection(real_redis):
    client = connection.get_redis()
    connection.execute(client, "PING")
    real_redis.client_kill_filter(_type="normal", skipme=True)
    assert connection.execute(client, "RPUSH", "lean", "after") == 1


def test_a_script_the_server_lost_is_loaded_again(real_redis):
    scripts.run(scripts.PUSH, [keys.queues(), keys.queue("q")], ["q", "one", keys.wake_channel()])
    real_redis.script_flush()
    assert scripts.run(scripts.PUSH, [keys.queues(), keys.queue("q")], ["q", "two", keys.wake_channel()]) == 2


def test_a_forked_child_keeps_the_client_object_but_not_the_parents_socket(real_redis):
    client = connection.get_redis()
    parent_id = client.client_id()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            connection.inherit()
            same = connection.get_redis() is client
            os.write(write_end, b"%d %d" % (same, connection.get_redis().client_id()))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    same, child_id = os.read(read_end, 100).split()
    os.close(read_end)
    assert os.waitstatus_to_exitcode(status) == 0
    assert same == b"1" and int(child_id) != parent_id
    assert client.client_id() == parent_id  # the parent's connection is untouched
