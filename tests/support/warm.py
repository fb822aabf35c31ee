"""What a job process reads again on first use, counted; and warm-up steps for ``RESQUE["WARM_UP"]``."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Callable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.template import engines
from django.template.loaders.filesystem import Loader as FileLoader
from django.utils import translation
from django.utils.translation import trans_real

TEMPLATE = "shop/home.html"
WARMED_BY: list[int] = []  # pids of the processes that ran ``remember_pid``


def remember_pid() -> None:
    WARMED_BY.append(os.getpid())


def fail() -> None:
    raise OSError("settings file missing")


@contextlib.contextmanager
def counting(owner: Any, name: str) -> Iterator[list[int]]:
    """Count calls of ``owner.name`` (a function or method) in this process, for the block."""
    original = getattr(owner, name)
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    setattr(owner, name, counted)
    try:
        yield calls
    finally:
        setattr(owner, name, original)


def metadata_reads() -> int:
    """Package metadata files read while redis-py builds a client and a connection (never connected)."""
    with counting(importlib.metadata.PathDistribution, "read_text") as calls:
        redis.Redis.from_url("redis://127.0.0.1:1/0").connection_pool.make_connection()
    return len(calls)


def template_loads() -> int:
    """Template files read while the Django engine gets TEMPLATE."""
    with counting(FileLoader, "get_contents") as calls:
        engines["django"].get_template(TEMPLATE)
    return len(calls)


def catalog_loads(language: str) -> int:
    """Translation catalogs built while a string is translated into ``language``."""
    with counting(trans_real.DjangoTranslation, "__init__") as calls, translation.override(language):
        translation.gettext("Yes")
    return len(calls)


COUNTS: dict[str, Callable[[], int]] = {
    "metadata_reads": metadata_reads,
    "template_loads": template_loads,
    "catalog_loads": lambda: catalog_loads(settings.LANGUAGE_CODE),
}
