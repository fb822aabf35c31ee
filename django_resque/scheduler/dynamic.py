"""Schedules kept in Redis, editable at run time (resque-scheduler's dynamic mode).

``persistent_schedules`` maps a name to its JSON config; every change adds the name
to ``schedules_changed``, which tells the running scheduler (ours or Ruby's) to
reload. Settings schedules are fixed: a dynamic one may not take a settings name.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import conf, keys
from ..connection import get_redis, translate_errors
from ..decoding import loads_object, to_text
from ..exceptions import InvalidScheduleError, UndecodableError
from ..payload import dumps
from .schedule import Entry, parse

logger = logging.getLogger(__name__)


def set_schedule(name: str, config: dict[str, Any]) -> Entry:
    """Add or replace a dynamic schedule, after checking it like a settings one."""
    if name in conf.get("SCHEDULE"):
        raise InvalidScheduleError(f"Schedule {name!r} is defined in RESQUE['SCHEDULE'] and cannot be replaced.")
    stored = {key: value for key, value in config.items() if key != "persist"}
    entry = parse(name, stored, dynamic=True)
    pipe = get_redis().pipeline(transaction=True)
    pipe.hset(keys.persistent_schedules(), name, dumps(stored))
    pipe.sadd(keys.schedules_changed(), name)
    with translate_errors():
        pipe.execute()
    return entry


def remove_schedule(name: str) -> bool:
    """Remove a dynamic schedule and its last-run record; False if there was none."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.hdel(keys.persistent_schedules(), name)
    pipe.sadd(keys.schedules_changed(), name)
    pipe.hdel(keys.schedule_last_run(), name)
    with translate_errors():
        removed, _, _ = pipe.execute()
    return bool(removed)


def get_schedule(name: str) -> dict[str, Any] | None:
    """The config of a schedule, from settings or Redis; None if unknown."""
    static = conf.get("SCHEDULE")
    if name in static:
        return dict(static[name])
    with translate_errors():
        raw = get_redis().hget(keys.persistent_schedules(), name)
    return _decode(name, raw) if raw is not None else None


def all_schedules() -> dict[str, dict[str, Any]]:
    """Every schedule's config by name: settings ones, then dynamic ones."""
    merged = {name: dict(config) for name, config in conf.get("SCHEDULE").items()}
    for name, config in dynamic_configs().items():
        merged.setdefault(name, config)
    return merged


def dynamic_configs() -> dict[str, dict[str, Any]]:
    """The configs stored in Redis; one that is not a JSON object is logged and left out."""
    with translate_errors():
        stored = get_redis().hgetall(keys.persistent_schedules())
    configs = {}
    for raw_name, raw in stored.items():
        name = to_text(raw_name)
        config = _decode(name, raw)
        if config is not None:
            configs[name] = config
    return configs


def dynamic_entries() -> dict[str, Entry]:
    """Valid dynamic schedules; bad ones are logged with their name and skipped (kept in Redis)."""
    static = conf.get("SCHEDULE")
    entries = {}
    for name, config in dynamic_configs().items():
        if name in static:
            logger.warning("Dynamic schedule %r is ignored: a settings schedule has that name", name)
            continue
        try:
            entries[name] = parse(name, config, dynamic=True)
        except InvalidScheduleError as exc:
            logger.error("%s (left in Redis, not scheduled)", exc)
    return entries


def take_changed() -> set[str]:
    """Names changed since the last call, emptying the set in the same MULTI."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.smembers(keys.schedules_changed())
    pipe.delete(keys.schedules_changed())
    with translate_errors():
        members, _ = pipe.execute()
    return {to_text(member) for member in members}


def _decode(name: str, raw: bytes | str) -> dict[str, Any] | None:
    try:
        return loads_object(raw)
    except UndecodableError as exc:
        logger.error("Dynamic schedule %r in %s is unreadable: %s", name, keys.persistent_schedules(), exc)
        return None
