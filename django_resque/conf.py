"""Lazy settings: the one ``RESQUE`` dict, merged with defaults when first read.

Nothing is read at import time. The merged dict is cached and dropped when Django's
``setting_changed`` fires (see ``apps.py``), so ``override_settings`` works.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from .redaction import mask_url

DEFAULTS: dict[str, Any] = {
    # Connection: exactly one of REDIS_URL or CONNECTION (a django-redis cache alias).
    "REDIS_URL": None,
    "CONNECTION": None,
    "REDIS_OPTIONS": {},
    # Key prefix; "resque" is Ruby Resque's, so both fleets share the same keys.
    "NAMESPACE": "resque",
    # Run jobs inline at enqueue time (after a JSON round trip) instead of queueing.
    "ALWAYS_EAGER": False,
    "DEFAULT_QUEUE": "default",
    # Seconds a job may run before the worker kills it; None means no limit.
    "JOB_TIMEOUT": None,
    # Dotted paths of failure backends; the first one answers queries (failure.api).
    "FAILURE_BACKENDS": ["django_resque.failure.redis.RedisFailure"],
    # Seconds a unique job's lock outlives its enqueue (or retry), at most; see unique.py.
    "UNIQUE_LOCK_TTL": 3600,
    # Seconds a job's record (status, times, worker; see status.py) lives after its last change.
    "STATUS_TTL": 86400,
    # Seconds a job's return value is kept (JSON), or None to keep none; @job(result_ttl=...) overrides it.
    "RESULT_TTL": None,
    "HEARTBEAT_INTERVAL": 60,
    "PRUNE_INTERVAL": 300,
    # What pruning does with a dead worker's job: "fail" (Ruby's DirtyExit) or "requeue".
    "DIRTY_EXIT": "fail",
    # Recurring jobs for resque_scheduler: name -> {"cron" | "every", "class", "queue", "args", ...}.
    "SCHEDULE": {},
    # Seconds the scheduler master lock lives without renewal (resque-scheduler's 180).
    "SCHEDULER_LOCK_TIMEOUT": 180,
    # Record each job's duration in Redis for the Prometheus histogram (one extra round trip per job).
    "DURATION_METRICS": False,
    # History for the admin's charts (history.py): kept this many minutes at minute
    # resolution and this many hours at hour resolution, then expired by Redis.
    "HISTORY": True,
    "HISTORY_MINUTES": 1440,
    "HISTORY_HOURS": 168,
    # resque_pool's shape: {"queue,list": count, ...} (with optional environment sections),
    # or the path of a JSON/YAML file holding it. Checked by a system check.
    "POOL": None,
    # Dotted paths of callables the worker runs once before its first fork, after its own
    # warm-up (WARM_UP_BUILTIN), so every job process starts with what they load.
    "WARM_UP": [],
    "WARM_UP_BUILTIN": True,
}

_CONNECTION_KEYS = ("REDIS_URL", "CONNECTION")
_URL_SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")
_derived: list[Callable[[], None]] = []  # the cache_clear of every ``per_settings`` function

F = TypeVar("F", bound=Callable[..., Any])


@cache
def resque_settings() -> dict[str, Any]:
    """The merged RESQUE settings, validated once per settings change."""
    user = getattr(django_settings, "RESQUE", {})
    if not isinstance(user, dict):
        raise ImproperlyConfigured("RESQUE must be a dict, got %s." % type(user).__name__)
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            "Unknown RESQUE setting(s): %s. Known: %s." % (", ".join(unknown), ", ".join(DEFAULTS))
        )
    merged = {**DEFAULTS, **user}
    _check_connection(merged)
    _check_types(merged)
    return merged


def get(name: str) -> Any:
    """One RESQUE setting by name."""
    return resque_settings()[name]


def per_settings(function: F, maxsize: int = 128) -> F:
    """``function`` cached until the settings change: what is worked out from settings alone
    (key names, script arguments), read once per worker and not for every job. Its arguments
    must be hashable (the last ``maxsize`` kept); its value must not be mutated.
    """
    cached = lru_cache(maxsize=maxsize)(function)
    _derived.append(cached.cache_clear)
    return cached  # type: ignore[return-value]


def reset() -> None:
    """Forget the cached settings and what ``per_settings`` worked out from them (called on ``setting_changed``)."""
    resque_settings.cache_clear()
    for clear in _derived:
        clear()


def _check_connection(merged: dict[str, Any]) -> None:
    given = [key for key in _CONNECTION_KEYS if merged[key]]
    if not given:
        raise ImproperlyConfigured(
            "RESQUE['REDIS_URL'] (e.g. 'redis://127.0.0.1:6379/0') or "
            "RESQUE['CONNECTION'] (a django-redis cache alias) must be set."
        )
    if len(given) > 1:
        raise ImproperlyConfigured("Set only one of RESQUE['REDIS_URL'] and RESQUE['CONNECTION'].")
    url = merged["REDIS_URL"]
    if url and not str(url).startswith(_URL_SCHEMES):
        raise ImproperlyConfigured(
            "RESQUE['REDIS_URL'] must start with one of %s, got %r." % (", ".join(_URL_SCHEMES), mask_url(url))
        )
    if url and str(url).startswith("redis+cluster://") and not _is_hash_tag(merged["NAMESPACE"]):
        raise ImproperlyConfigured(
            "With Redis Cluster, RESQUE['NAMESPACE'] must be a hash tag such as '{resque}', so every key "
            "(and every multi-key script) lives in one slot; got %r." % (merged["NAMESPACE"],)
        )


def _is_hash_tag(namespace: object) -> bool:
    return isinstance(namespace, str) and namespace.startswith("{") and namespace.endswith("}") and len(namespace) > 2


def _check_types(merged: dict[str, Any]) -> None:
    namespace = merged["NAMESPACE"]
    if not isinstance(namespace, str) or not namespace or ":" in namespace:
        raise ImproperlyConfigured("RESQUE['NAMESPACE'] must be a non-empty string without ':', got %r." % (namespace,))
    for key in ("HEARTBEAT_INTERVAL", "PRUNE_INTERVAL", "UNIQUE_LOCK_TTL", "STATUS_TTL"):
        if not isinstance(merged[key], (int, float)) or merged[key] <= 0:
            raise ImproperlyConfigured("RESQUE[%r] must be a positive number, got %r." % (key, merged[key]))
    for key in ("HISTORY_MINUTES", "HISTORY_HOURS"):
        if isinstance(merged[key], bool) or not isinstance(merged[key], int) or merged[key] <= 0:
            raise ImproperlyConfigured("RESQUE[%r] must be a positive integer, got %r." % (key, merged[key]))
    result_ttl = merged["RESULT_TTL"]
    if result_ttl is not None and (isinstance(result_ttl, bool) or not isinstance(result_ttl, int) or result_ttl <= 0):
        raise ImproperlyConfigured("RESQUE['RESULT_TTL'] must be None or a positive integer, got %r." % (result_ttl,))
    timeout = merged["JOB_TIMEOUT"]
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ImproperlyConfigured("RESQUE['JOB_TIMEOUT'] must be None or a positive number, got %r." % (timeout,))
    if merged["DIRTY_EXIT"] not in ("fail", "requeue"):
        raise ImproperlyConfigured(
            "RESQUE['DIRTY_EXIT'] must be 'fail' or 'requeue', got %r." % (merged["DIRTY_EXIT"],)
        )
    for key in ("REDIS_OPTIONS", "SCHEDULE"):
        if not isinstance(merged[key], dict):
            raise ImproperlyConfigured("RESQUE[%r] must be a dict, got %r." % (key, merged[key]))
    if merged["REDIS_OPTIONS"].get("decode_responses"):
        raise ImproperlyConfigured("RESQUE['REDIS_OPTIONS'] may not set decode_responses: payloads are read as bytes.")
    _check_scheduler(merged)
    if not isinstance(merged["POOL"], (type(None), dict, str, os.PathLike)):
        raise ImproperlyConfigured(
            "RESQUE['POOL'] must be a dict or a file's path, got %s." % type(merged["POOL"]).__name__
        )
    _check_warm_up(merged)
    backends = merged["FAILURE_BACKENDS"]
    if not isinstance(backends, (list, tuple)) or not backends or not all(isinstance(p, str) for p in backends):
        raise ImproperlyConfigured(
            "RESQUE['FAILURE_BACKENDS'] must be a non-empty list of dotted paths, got %r." % (backends,)
        )


def _check_warm_up(merged: dict[str, Any]) -> None:
    steps = merged["WARM_UP"]
    if not isinstance(steps, (list, tuple)) or not all(isinstance(path, str) and path for path in steps):
        raise ImproperlyConfigured("RESQUE['WARM_UP'] must be a list of dotted paths of callables, got %r." % (steps,))
    if not isinstance(merged["WARM_UP_BUILTIN"], bool):
        raise ImproperlyConfigured(
            "RESQUE['WARM_UP_BUILTIN'] must be True or False, got %r." % (merged["WARM_UP_BUILTIN"],)
        )


def _check_scheduler(merged: dict[str, Any]) -> None:
    """Shape only; each entry's job name and cron line are checked when the scheduler starts."""
    lock = merged["SCHEDULER_LOCK_TIMEOUT"]
    if isinstance(lock, bool) or not isinstance(lock, int) or lock <= 0:
        raise ImproperlyConfigured("RESQUE['SCHEDULER_LOCK_TIMEOUT'] must be a positive integer, got %r." % (lock,))
    for name, entry in merged["SCHEDULE"].items():
        if not isinstance(name, str) or not name or not isinstance(entry, dict):
            raise ImproperlyConfigured(
                "RESQUE['SCHEDULE'] maps names to dicts like {'cron': '0 * * * *', 'class': 'job.name'}; "
                "got %r: %r." % (name, entry)
            )
