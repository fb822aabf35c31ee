"""The Redis client, built from settings on first use.

``REDIS_URL`` gets a client of our own; ``CONNECTION`` reuses a django-redis cache's
pool. Clients are per process: after ``fork`` the child calls ``reset()`` and builds
its own, or ``inherit()`` to keep the parent's client object with a pool emptied for
the new pid; either way no socket is ever shared between processes.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

from . import conf, held_connection
from .exceptions import ResqueConfigurationError, ResqueConnectionError
from .redaction import mask_url

hiredis_pack: Any
try:
    from hiredis import pack_command as hiredis_pack
except ImportError:  # then redis-py packs in Python: no HiredisRespSerializer to go around
    hiredis_pack = None
# redis-py's own packer and send_command, which ``_send`` goes around (None in a redis-py without them).
_HIREDIS_PACKER = getattr(redis.connection, "HiredisRespSerializer", None)
_OWN_SEND = getattr(getattr(redis.connection, "AbstractConnection", None), "send_command", None)

_client: redis.Redis | None = None
_client_pid: int | None = None


def get_redis() -> redis.Redis:
    """The process's Redis client (bytes replies)."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        _client, _client_pid = _build_client(), os.getpid()
    return _client


def set_redis(client: redis.Redis | None) -> None:
    """Use ``client`` from now on in this process (tests, embedding); None resets."""
    global _client, _client_pid
    _client, _client_pid = client, (os.getpid() if client is not None else None)


def reset() -> None:
    """Drop the client without closing its sockets: they may belong to the parent."""
    set_redis(None)


def inherit() -> None:
    """In a forked child: keep the parent's ``redis.Redis`` client, with none of its sockets.

    Its connection pool sees the new pid on first use and starts empty (redis-py's
    ``_checkpid``, run by every pool method that hands out or takes back a connection),
    so the child opens its own connection and never touches the parent's sockets; a
    child that never uses Redis never pays for it. Building a new client instead costs
    a job process hundreds of copied pages. Other clients (RedisCluster) are rebuilt.
    """
    global _client_pid
    if _client is not None and type(_client) is redis.Redis:
        _client_pid = os.getpid()
    else:
        reset()


def execute(client: Any, *args: Any) -> Any:
    """One command and its raw reply, on the process's held connection or one from ``client``'s pool.

    The connection handling of ``client.execute_command`` (redis-py's connections and
    pool, the client's retry policy, disconnect on error) without its per-call layers
    (option filtering, observability hooks, response callbacks), which cost a small
    command about as much CPU as its round trip; see ``held_connection`` for the
    connection kept between calls. Clusters, single-connection clients and other
    client types take their usual path.
    """
    if type(client) is not redis.Redis or client.connection is not None:
        return client.execute_command(*args)
    pool = client.connection_pool
    reply = held_connection.run(pool, _call_with_retry, args)
    if reply is not held_connection.UNAVAILABLE:
        return reply
    conn = pool.get_connection()
    try:
        return _call_with_retry(conn, args)
    finally:
        pool.release(conn)


def _call_with_retry(conn: Any, args: tuple[Any, ...]) -> Any:
    """The command under the connection's retry policy, which disconnects before each retry."""
    return conn.retry.call_with_retry(lambda: _send_and_read(conn, args), lambda _error: conn.disconnect())


def _send_and_read(conn: Any, args: tuple[Any, ...]) -> Any:
    """Send, then read the reply; on any exception but an error reply, disconnect.

    redis-py disconnects on errors inside ``send_command`` and ``read_response``; this
    also covers what can raise between the two (a signal handler's exception, a
    timeout), so a reply is never left unread on a connection that is used again.
    """
    try:
        _send(conn, args)
        return conn.read_response()
    except redis.ResponseError:  # the reply was read: the connection is clean
        raise
    except BaseException:
        conn.disconnect()
        raise


def _send(conn: Any, args: tuple[Any, ...]) -> None:
    """``conn.send_command(*args)``, packed by hiredis at once when that is the connection's packer.

    redis-py's ``HiredisRespSerializer.pack`` first walks every argument in Python, for
    conversions our commands do not need (a first argument of several words, a bytearray):
    it costs about as much as hiredis's packing, and a worker's scripts take some twenty
    arguments a job. A command that needs them (or that hiredis refuses) goes the usual way.
    """
    packer: Any = getattr(conn, "_command_packer", None)
    first = args[0]
    if type(packer) is _HIREDIS_PACKER and type(first) is str and first.isalpha() and _sends_as_usual(conn):
        try:
            packed = [hiredis_pack(args)]
        except TypeError:  # a bytearray, None...: redis-py's conversions, and its DataError
            packed = packer.pack(*args)
        conn.send_packed_command(packed)
    else:
        conn.send_command(*args)


def _sends_as_usual(conn: Any) -> bool:
    """Whether ``conn.send_command`` is redis-py's own (not a proxy's, a subclass's or a patched one)."""
    return _OWN_SEND is not None and getattr(conn.send_command, "__func__", None) is _OWN_SEND


def describe() -> str:
    """The configured server, password masked, for messages."""
    alias = conf.get("CONNECTION")
    if alias:
        return f"django-redis cache {alias!r}"
    return mask_password(conf.get("REDIS_URL"))


def mask_password(url: str) -> str:
    """``url`` with its password masked, in any form redis-py accepts (see ``redaction``)."""
    return mask_url(url)


class _TranslateErrors:
    """Re-raise redis-py connection failures as ResqueConnectionError naming the server.

    A class rather than ``contextlib.contextmanager``: it wraps every Redis call, and a
    generator-based one costs about a microsecond per use.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
            raise ResqueConnectionError(describe(), error) from error


_TRANSLATE_ERRORS = _TranslateErrors()


def translate_errors() -> _TranslateErrors:
    """``with translate_errors(): ...``: redis-py connection failures become ResqueConnectionError."""
    return _TRANSLATE_ERRORS


def _build_client() -> redis.Redis:
    alias = conf.get("CONNECTION")
    if alias:
        return _client_from_cache(alias)
    url = conf.get("REDIS_URL")
    options = dict(conf.get("REDIS_OPTIONS"))
    if url.startswith("redis+sentinel://"):
        return _client_from_sentinel_url(url, options)
    if url.startswith("redis+cluster://"):
        return _client_from_cluster_url(url, options)
    return redis.Redis.from_url(url, **_driver_options(), **options)


@functools.cache
def _driver_info() -> Any:
    """redis-py's CLIENT SETINFO data, resolved once per process.

    Newer redis-py reads its version from package metadata for every new connection
    (milliseconds each); a forked job process opens a connection per job, so resolve
    it once in the worker, before forking.
    """
    try:
        from redis.driver_info import DriverInfo
    except ImportError:  # older redis-py resolves it once at import
        return None
    return DriverInfo()


def _driver_options() -> dict[str, Any]:
    info = _driver_info()
    return {"driver_info": info} if info is not None and "driver_info" not in conf.get("REDIS_OPTIONS") else {}


def _client_from_cache(alias: str) -> redis.Redis:
    from django.conf import settings

    if alias not in settings.CACHES:
        raise ResqueConfigurationError(
            f"RESQUE['CONNECTION'] names cache {alias!r}, which is not in CACHES (known: {', '.join(settings.CACHES)})."
        )
    try:
        from django_redis import get_redis_connection

        return get_redis_connection(alias)
    except NotImplementedError as exc:
        raise ResqueConfigurationError(
            f"RESQUE['CONNECTION'] names cache {alias!r}, which is not a django-redis cache."
        ) from exc


def _host_ports(netloc: str, default_port: int) -> list[tuple[str, int]]:
    """``h1:1,h2:2`` (after any ``user:pw@``) -> [("h1", 1), ("h2", 2)]."""
    pairs = []
    for host_port in filter(None, netloc.rsplit("@", 1)[-1].split(",")):
        host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
        pairs.append((host, int(port or default_port)))
    return pairs


def parse_cluster_url(url: str) -> dict[str, Any]:
    """``redis+cluster://[:pw@]h1:7000,h2:7001`` -> startup nodes and password."""
    parts = urlsplit(url)
    nodes = _host_ports(parts.netloc, 6379)
    if not nodes:
        raise ResqueConfigurationError(
            f"RESQUE['REDIS_URL'] cluster form is redis+cluster://host:port[,host:port], got {mask_password(url)!r}."
        )
    return {"nodes": nodes, "password": unquote(parts.password) if parts.password else None}


def _client_from_cluster_url(url: str, options: dict[str, Any]) -> Any:
    parsed = parse_cluster_url(url)
    nodes = [ClusterNode(host, port) for host, port in parsed["nodes"]]
    return RedisCluster(startup_nodes=nodes, password=parsed["password"], **options)


def parse_sentinel_url(url: str) -> dict[str, Any]:
    """``redis+sentinel://[:pw@]h1:26379,h2:26379/service[/db][?socket_timeout=..]``."""
    parts = urlsplit(url)
    sentinels = _host_ports(parts.netloc, 26379)
    path = [segment for segment in parts.path.split("/") if segment]
    if not sentinels or not path:
        raise ResqueConfigurationError(
            "RESQUE['REDIS_URL'] sentinel form is redis+sentinel://host:port[,host:port]/service[/db], "
            f"got {mask_password(url)!r}."
        )
    options: dict[str, Any] = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if "socket_timeout" in options:
        options["socket_timeout"] = float(options["socket_timeout"])
    password = unquote(parts.password) if parts.password else None
    return {
        "sentinels": sentinels,
        "service": path[0],
        "db": int(path[1]) if len(path) > 1 else 0,
        "password": password,
        "options": options,
    }


def _client_from_sentinel_url(url: str, options: dict[str, Any]) -> redis.Redis:
    parsed = parse_sentinel_url(url)
    sentinel = Sentinel(parsed["sentinels"], **parsed["options"])
    return sentinel.master_for(parsed["service"], db=parsed["db"], password=parsed["password"], **options)
