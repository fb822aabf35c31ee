"""Checks of command-line arguments: a bad one is a CommandError naming it, never a traceback."""

from __future__ import annotations

import math
from typing import Any

from django.core.management.base import CommandError

from .. import decoding
from .. import queue as queue_api
from ..exceptions import InvalidQueueNameError, UndecodableError

MAX_WORKERS = 128  # worker processes under one supervisor: more is a typo, not a plan


def positive(value: float, flag: str, *, zero_ok: bool = False, maximum: float = math.inf) -> float:
    """A finite number > 0 (>= 0 with ``zero_ok``) and <= ``maximum``; ``nan`` and ``inf`` refused."""
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise CommandError("%s must be %s, got %s." % (flag, "zero or more" if zero_ok else "positive", value))
    if value > maximum:
        raise CommandError("%s must be at most %s, got %s." % (flag, maximum, value))
    return value


def index(value: int, flag: str) -> int:
    """A list index or count: 0 up to a signed 64-bit integer, as Redis takes."""
    if not 0 <= value <= decoding.MAX_INDEX:
        raise CommandError("%s must be between 0 and %d, got %d." % (flag, decoding.MAX_INDEX, value))
    return value


def queue_name(value: str | None, flag: str, *, globs: bool = False) -> str | None:
    """A queue name (or None when the option was not given), by the rule enqueueing applies."""
    if value is None:
        return None
    try:
        queue_api.check_name(value, globs=globs)
    except InvalidQueueNameError as exc:
        raise CommandError(f"{flag}: {exc}") from exc
    return value


def json_value(text: str, kind: type, flag: str, expected: str) -> Any:
    """JSON of the expected kind, decoded with the same limits as anything read from Redis."""
    try:
        value = decoding.loads(text)
    except UndecodableError as exc:
        raise CommandError(f"{flag} must be {expected}: {exc.reason}") from exc
    if not isinstance(value, kind):
        raise CommandError(f"{flag} must be {expected}, got {text!r}.")
    return value
