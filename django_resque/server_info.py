"""What the Redis server says about itself, and our keys by type and size, a page at a time.

For the admin's Redis page (resque-web's Stats tab): a few fields of ``INFO`` and the
keys under our namespace, walked with ``SCAN`` from a cursor (never ``KEYS *``), with a
bound on the SCAN calls and the keys sized per request. Nothing shown carries a
password: the connection's URL is masked and INFO is read field by field from a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from . import conf, keys
from .connection import get_redis, translate_errors
from .decoding import to_int, to_text
from .redaction import mask_in_text, mask_url

KEYS_PER_PAGE = 50
SCANS_PER_PAGE = 20  # SCAN calls per request at most, each asking for about 100 keys
SCAN_COUNT = 100

# (INFO field, label), shown in this order when the server gives them.
FIELDS = (
    ("redis_version", "Version"),
    ("redis_mode", "Mode"),
    ("uptime_in_seconds", "Up (seconds)"),
    ("used_memory_human", "Memory used"),
    ("used_memory_peak_human", "Peak memory"),
    ("maxmemory_human", "Memory limit"),
    ("maxmemory_policy", "Eviction policy"),
    ("mem_fragmentation_ratio", "Fragmentation ratio"),
    ("connected_clients", "Clients"),
    ("blocked_clients", "Blocked clients"),
    ("instantaneous_ops_per_sec", "Operations per second"),
    ("total_commands_processed", "Commands processed"),
    ("keyspace_hits", "Keyspace hits"),
    ("keyspace_misses", "Keyspace misses"),
    ("expired_keys", "Expired keys"),
    ("evicted_keys", "Evicted keys"),
    ("role", "Role"),
    ("connected_slaves", "Replicas"),
)

# The command that sizes a key of each type, and what its number counts.
SIZERS = {
    "string": ("STRLEN", "bytes"),
    "list": ("LLEN", "items"),
    "set": ("SCARD", "members"),
    "zset": ("ZCARD", "members"),
    "hash": ("HLEN", "fields"),
    "stream": ("XLEN", "entries"),
}


@dataclass(frozen=True)
class KeyInfo:
    name: str  # without the namespace
    type: str
    size: int | None
    unit: str
    ttl: int | None  # seconds, None without expiry


@dataclass(frozen=True)
class KeysPage:
    keys: list[KeyInfo]
    cursor: int  # where the next page starts; 0 when the walk is done
    scans: int  # SCAN calls this page took


def server() -> list[tuple[str, str]]:
    """(label, value) of the server's chosen INFO fields, the connection and the keyspace."""
    try:
        with translate_errors():
            info: Any = get_redis().info()
    except redis.exceptions.ResponseError as exc:  # INFO renamed or refused (managed services, proxies)
        return [("Connection", connection_label()), ("INFO", "refused by the server: %s" % mask_in_text(str(exc)))]
    if not isinstance(info, dict):
        info = {}
    if info and all(isinstance(value, dict) for value in info.values()):  # a cluster answers per node
        info = next(iter(info.values()))
    rows = [("Connection", connection_label())]
    rows += [(label, _shown(info[name])) for name, label in FIELDS if name in info]
    rows += [(f"Keyspace {name}", _shown(value)) for name, value in info.items() if _is_db(name)]
    return rows


def connection_label() -> str:
    """The configured server, password masked: the URL, or the django-redis alias."""
    url = conf.get("REDIS_URL")
    return mask_url(url) if url else "django-redis cache %r" % conf.get("CONNECTION")


def keys_page(cursor: int = 0) -> KeysPage:
    """The next keys under the namespace from ``cursor``: at most KEYS_PER_PAGE, SCANS_PER_PAGE scans."""
    client = get_redis()
    found: list[Any] = []
    scans = 0
    with translate_errors():
        where = _node_of_our_keys(client)
        while scans < SCANS_PER_PAGE and len(found) < KEYS_PER_PAGE:
            cursor, batch = client.scan(cursor=cursor, match=_pattern(), count=SCAN_COUNT, **where)
            if isinstance(cursor, dict):  # a cluster answers per node: ours is the only one asked
                cursor = next(iter(cursor.values()), 0)
            scans += 1
            found.extend(batch)
            if int(cursor) == 0:
                break
        return KeysPage(sorted(_describe(client, found), key=lambda key: key.name), int(cursor), scans)


def _node_of_our_keys(client: Any) -> dict[str, Any]:
    """On Redis Cluster, the node holding our keys (the namespace is a hash tag: one slot)."""
    if isinstance(client, redis.Redis):
        return {}
    return {"target_nodes": client.get_node_from_key(keys.queues())}


def _describe(client: Any, names: list[bytes]) -> list[KeyInfo]:
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.type(name)
        pipe.ttl(name)
    replies = pipe.execute(raise_on_error=False)
    types = [to_text(reply) if isinstance(reply, (bytes, str)) else "?" for reply in replies[0::2]]
    sized = [(name, kind) for name, kind in zip(names, types, strict=True) if kind in SIZERS]
    for name, kind in sized:
        pipe.execute_command(SIZERS[kind][0], name)
    sizes = dict(zip([name for name, _ in sized], pipe.execute(raise_on_error=False), strict=True))
    return [
        KeyInfo(
            name=keys.strip_namespace(to_text(name)),
            type=kind,
            size=to_int(sizes.get(name), None),
            unit=SIZERS.get(kind, ("", ""))[1],
            ttl=ttl if (ttl := to_int(replies[2 * i + 1], None)) is not None and ttl >= 0 else None,
        )
        for i, (name, kind) in enumerate(zip(names, types, strict=True))
    ]


def _pattern() -> str:
    """``<ns>:*`` with the namespace's glob characters escaped."""
    escaped = "".join("\\" + char if char in "*?[]\\" else char for char in keys.namespace())
    return escaped + ":*"


def _is_db(name: str) -> bool:
    return name.startswith("db") and name[2:].isdigit()


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in value.items())
    return mask_in_text(to_text(value) if isinstance(value, bytes) else str(value))
