"""Warm-up: do once in the worker what every job process would otherwise do again.

A job process starts as a copy of the worker, so whatever the worker has built, every
job process has for free (copy-on-write). Django and the libraries jobs use build much
on first use, in each process: left cold, each job process pays for it again. Before
its first fork the worker builds what is safe to share: redis-py's version (which it
reads from its package metadata for every new connection), template engines with
their compiled templates, translation catalogs and locale formats, the URL resolver,
model metadata, the database and cache backends' code (not their connections), the
mail backend and the host name mail is sent from; then the application's own steps,
``RESQUE["WARM_UP"]``.

Nothing here opens a connection: a socket or a database connection held across a
fork would be shared by the worker and every job process. Each job process still
opens its own (docs/fork-model.md says which costs stay per job, and why).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.utils.module_loading import import_string

from .. import conf
from ..exceptions import WarmUpError

logger = logging.getLogger(__name__)

MAX_TEMPLATE_BYTES = 256 * 1024  # a bigger file under a templates folder is not compiled ahead
# Modules that jobs, or the libraries they call, import on first use.
LAZY_IMPORTS = ("secrets", "email.mime.multipart", "email.mime.text", "django.core.mail")
PLAIN_URL_SCHEMES = ("redis://", "rediss://", "unix://")


_done = False  # this process (or the one it was forked from, e.g. a supervisor) warmed up


def run() -> None:
    """The built-in steps (unless ``WARM_UP_BUILTIN`` is off), then the application's ``WARM_UP``.

    Once per process: a worker forked by a pool manager that warmed up (``resque_pool``,
    ``--workers N``) inherits it, shares its pages with the other workers, and does not
    run it again.
    """
    global _done
    if _done:
        return
    started = time.monotonic()
    if conf.get("WARM_UP_BUILTIN"):
        for step in BUILTIN_STEPS:
            _run_builtin(step)
    for path in conf.get("WARM_UP"):
        run_callable(path)
    _done = True
    logger.info("Warmed up in %.0f ms", (time.monotonic() - started) * 1000)


def run_callable(path: str) -> None:
    """Import and call one ``WARM_UP`` entry; WarmUpError naming it if either fails."""
    try:
        step = import_string(path)
        step()
    except Exception as exc:
        raise WarmUpError(
            "RESQUE['WARM_UP'] entry %r failed: %s: %s. The worker does not start until it succeeds, "
            "or is taken out of the setting." % (path, type(exc).__name__, exc)
        ) from exc


def _run_builtin(step: Callable[[], None]) -> None:
    """A built-in step that fails leaves its work to the job processes: a warning, not a stop."""
    try:
        step()
    except Exception as exc:
        logger.warning("Warm-up step %s failed (job processes will do it themselves): %s", step.__name__, exc)


def redis_version() -> None:
    """Read redis-py's version once; redis-py would read it for every new connection.

    ``DriverInfo`` (for ``CLIENT SETINFO``) calls ``redis.utils.get_lib_version``,
    which asks ``importlib.metadata`` each time: that parses the package's METADATA
    file and looks again in every ``sys.path`` entry it cannot cache (one that does not
    exist, such as ``python3XX.zip``). The version of the code in memory cannot
    change, so the function is wrapped in a cache and the cache filled here.
    """
    from redis import utils

    read = getattr(utils, "get_lib_version", None)
    if read is None:
        return
    if not hasattr(read, "cache_info"):
        utils.get_lib_version = read = functools.cache(read)
    read()


def job_signatures() -> None:
    """Each registered job's signature, which every job process would read (``inspect``) before perform.

    ``Job.shape`` keeps it once read: read here, a job process finds it in its copy.
    """
    from .. import registry

    for job in registry.all_jobs().values():
        job.shape  # noqa: B018  (reads and keeps it)


def redis_client() -> None:
    """Build a client and a connection object as a job would, never connected.

    Fills what redis-py does lazily on first use: its imports, URL parsing's regular
    expressions, the hiredis parser.
    """
    import redis

    url = conf.get("REDIS_URL") or ""
    client = redis.Redis.from_url(url if url.startswith(PLAIN_URL_SCHEMES) else "redis://localhost:6379/0")
    client.connection_pool.make_connection()


def lazy_imports() -> None:
    for name in LAZY_IMPORTS:
        try:
            __import__(name)
        except ImportError:
            pass


def templates() -> None:
    """Every Django template engine with its loaders, and its templates compiled where a cached loader keeps them."""
    from django.template import engines
    from django.template.backends.django import DjangoTemplates
    from django.template.loaders.cached import Loader as CachedLoader

    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        for loader in engine.engine.template_loaders:
            if isinstance(loader, CachedLoader):
                _compile_all(loader)


def _compile_all(loader: Any) -> None:
    for name in sorted(set(_template_names(loader))):
        try:
            loader.get_template(name)
        except Exception as exc:  # not a template (or a broken one): a job would fail on it too
            logger.debug("Warm-up skipped template %s: %s", name, exc)


def _template_names(cached_loader: Any) -> Iterator[str]:
    """The names of the files under each folder the cached loader's loaders look in."""
    for loader in cached_loader.loaders:
        get_dirs = getattr(loader, "get_dirs", None)
        for folder in get_dirs() if get_dirs else ():
            root = Path(folder)
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                relative = path.relative_to(root)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if path.is_file() and path.stat().st_size <= MAX_TEMPLATE_BYTES:
                    yield relative.as_posix()


def translations() -> None:
    """Catalogs and locale formats of LANGUAGE_CODE, and of LANGUAGES where the project set them."""
    if not settings.USE_I18N:
        return
    from django.utils import formats
    from django.utils.translation import get_supported_language_variant, trans_real

    codes = [settings.LANGUAGE_CODE]
    if settings.is_overridden("LANGUAGES"):
        codes += [code for code, _name in settings.LANGUAGES]
    for code in dict.fromkeys(codes):
        try:
            variant = get_supported_language_variant(code)
        except LookupError:
            continue
        for name in {code, variant}:  # as given (gettext's default, activate()) and as Django matches it
            trans_real.translation(name)
            formats.get_format_modules(name)


def url_resolver() -> None:
    """The URLconf imported and its reverse lookups built (for ``reverse()`` in jobs)."""
    if getattr(settings, "ROOT_URLCONF", None):
        from django.urls import get_resolver

        get_resolver().reverse_dict  # noqa: B018  (builds it)


def model_metadata() -> None:
    """Each model's fields, relations and the name lookups queries use (Django builds them on first use)."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        meta.get_fields()
        for lookups in ("_forward_fields_map", "fields_map"):
            getattr(meta, lookups, None)


def backends() -> None:
    """Database and cache backends built and dropped: their code loaded, nothing connected.

    A job process drops the backends it inherits anyway (``child.drop_inherited_connections``).
    """
    for alias in connections:
        database = connections.create_connection(alias)
        if database.vendor == "postgresql":
            _postgresql_adapters(database)
    for alias in caches:
        caches.create_connection(alias)


def _postgresql_adapters(database: Any) -> None:
    """psycopg 3's type adapters for the connection's time zone (Django keeps them in an lru_cache)."""
    from django.db.backends.postgresql import psycopg_any

    if psycopg_any.is_psycopg3:
        psycopg_any.get_adapters_template(settings.USE_TZ, database.timezone)


def mail() -> None:
    """The mail backend's code, and the host name every message's Message-ID carries.

    Django looks the name up (``socket.getfqdn``) on the first message of each process.
    """
    from django.core.mail.utils import DNS_NAME

    import_string(settings.EMAIL_BACKEND)
    DNS_NAME.get_fqdn()


BUILTIN_STEPS: tuple[Callable[[], None], ...] = (
    job_signatures,
    redis_version,
    redis_client,
    lazy_imports,
    templates,
    translations,
    url_resolver,
    model_metadata,
    backends,
    mail,
)
