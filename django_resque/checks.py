"""System checks (``manage.py check``): settings shape, failure backends, Redis reachable."""

from __future__ import annotations

import os
from typing import Any

import redis
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver
from django.utils.module_loading import import_string

from . import conf, connection, registry
from .redaction import mask_in_text, mask_url
from .scheduler.schedule import problems
from .worker import pool_config

TAG = "django_resque"
# Hints name pages of the online docs: a pip install has no docs/ folder.
DOCS_URL = "https://github.com/django-resque/django-resque/blob/main/docs/"


def register_checks() -> None:
    """Called from AppConfig.ready(), so importing this module registers nothing."""
    register(check_settings, TAG)
    register(check_connection, TAG)
    register(check_failure_backends, TAG)
    register(check_schedule, TAG)
    register(check_pool, TAG)
    register(check_jobs_known_to_workers, TAG)
    register(check_redis_reachable, TAG, deploy=True)
    register(check_debug_page_hides_password, TAG)


def docs(page: str) -> str:
    """A hint's pointer to a docs page."""
    return f"See {DOCS_URL}{page}"


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """RESQUE must be a valid dict (conf.py says what is wrong)."""
    try:
        conf.resque_settings()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=docs("configuration.md") + " for every key.", id="django_resque.E001")]
    return []


def check_connection(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """REDIS_URL or CONNECTION gives a Redis client; nothing is sent (``--deploy`` PINGs)."""
    try:
        conf.resque_settings()
    except ImproperlyConfigured:
        return []  # reported by check_settings
    try:
        connection.get_redis()
    except (ImproperlyConfigured, ValueError) as exc:
        hint = (
            "RESQUE['CONNECTION'] must name a django-redis cache in CACHES (BACKEND 'django_redis.cache.RedisCache')."
        )
        if not conf.get("CONNECTION"):
            hint = (
                "RESQUE['REDIS_URL'] must be a redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// URL."
            )
        return [Error(str(exc), hint=hint, id="django_resque.E012")]
    return []


def check_jobs_known_to_workers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Jobs registered after start-up (e.g. defined in views.py): a worker would not know them.

    The URLconf is imported first, as a request would, so jobs its views define count.
    """
    if getattr(settings, "ROOT_URLCONF", None):
        get_resolver().url_patterns  # noqa: B018 (imports the URLconf, as Django's URL check does)
    return [
        Warning(
            f"Job {name!r} ({qualname}) was registered after Django started, not by an app's jobs module: "
            "a worker imports only those at start-up, so it would fail this job with UnknownJobError.",
            hint="Move it to a jobs.py module of an installed app, or import its module from one.",
            id="django_resque.W070",
        )
        for name, qualname in sorted(registry.registered_after_startup().items())
    ]


def check_failure_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every FAILURE_BACKENDS entry must import."""
    try:
        paths = conf.get("FAILURE_BACKENDS")
    except ImproperlyConfigured:
        return []  # reported by check_settings
    errors: list[CheckMessage] = []
    for path in paths:
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(
                    f"RESQUE['FAILURE_BACKENDS'] entry {path!r} cannot be imported: {exc}",
                    hint="Use a dotted path such as 'django_resque.failure.redis.RedisFailure'.",
                    id="django_resque.E002",
                )
            )
    return errors


def check_schedule(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each RESQUE["SCHEDULE"] entry names a registered job and a valid cron line or interval: all problems."""
    try:
        entries = conf.get("SCHEDULE")
    except ImproperlyConfigured:
        return []  # reported by check_settings
    return [
        Error(problem, hint=docs("scheduler.md") + ".", id="django_resque.E050")
        for name, config in entries.items()
        for problem in problems(name, config)
    ]


def check_pool(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The pool config ``resque_pool`` would load (RESQUE['POOL'] or env RESQUE_POOL_CONFIG), if any."""
    try:
        configured = conf.get("POOL")
    except ImproperlyConfigured:
        return []  # reported by check_settings
    if not configured and not os.environ.get(pool_config.CONFIG_VARIABLE):
        return []
    try:
        pool_config.load()
    except pool_config.PoolConfigError as exc:
        return [Error(str(exc), hint=docs("workers.md") + ", 'The pool'.", id="django_resque.E060")]
    return []


def check_redis_reachable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With ``check --deploy``: the configured Redis answers PING."""
    try:
        client = connection.get_redis()
        client.ping()
    except ImproperlyConfigured:
        return []
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return [
            Error(
                f"Redis at {connection.describe()} is not reachable: {mask_in_text(str(exc))}",
                hint="Check RESQUE['REDIS_URL'] (or the CONNECTION cache) and that the server is running.",
                id="django_resque.E010",
            )
        ]
    return []


DEBUG_FILTER = "django_resque.debug.ExceptionReporterFilter"


def check_debug_page_hides_password(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG on and a password in REDIS_URL: Django's error page would show it."""
    from django.conf import settings

    try:
        url = conf.get("REDIS_URL")
    except ImproperlyConfigured:
        return []
    if not settings.DEBUG or not url or mask_url(url) == url:
        return []
    try:
        reporter_filter = import_string(settings.DEFAULT_EXCEPTION_REPORTER_FILTER)
    except ImportError:
        return []
    if issubclass(reporter_filter, import_string(DEBUG_FILTER)):
        return []
    return [
        Warning(
            "DEBUG is on and RESQUE['REDIS_URL'] holds a password: Django's error page shows it in clear.",
            hint=f"Set DEFAULT_EXCEPTION_REPORTER_FILTER = {DEBUG_FILTER!r} (see docs/security.md).",
            id="django_resque.W011",
        )
    ]
