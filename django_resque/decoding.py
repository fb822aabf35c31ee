"""The one boundary for values read from Redis: JSON, numbers, times and text.

Anything in Redis may be hostile or written by another program, so nothing read
from it may raise anything but ``UndecodableError`` (JSON) or give a default
(numbers, times, text). JSON is depth-limited before it is parsed: Python's parser
recurses per level (3.11 raises RecursionError near 975 levels, fewer on a deep
stack) while Redis's cjson accepts 1000, so a payload another program pushed can be
too deep for us. The limit is Ruby's ``JSON.parse`` default ``max_nesting`` (100),
which a Ruby worker applies to the same data; records that wrap a payload get the
levels they add.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from itertools import accumulate
from typing import Any

from .exceptions import UndecodableError

MAX_DEPTH = 100  # Ruby JSON.parse's max_nesting: deeper payloads fail in a Ruby worker too
RECORD_DEPTH = MAX_DEPTH + 2  # a record holding a payload: worker:<id>, a failure record
MAX_INDEX = 2**63 - 1  # Redis list and zset indices are signed 64-bit

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from Redis: UTF-8, at most ``max_depth`` levels, no NaN; else UndecodableError."""
    if isinstance(raw, bytes):
        try:
            raw_text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"not UTF-8 ({exc.reason} at byte {exc.start})", raw) from exc
    else:
        raw_text = raw
        if not raw_text.isascii() and not _encodes(raw_text):
            raise UndecodableError("not UTF-8", raw)
    check_depth(raw_text, max_depth, raw)
    try:
        return _DECODER.decode(raw_text)
    except (ValueError, RecursionError) as exc:  # RecursionError: a deep call stack before us
        raise UndecodableError(f"not JSON: {exc}", raw) from exc


def loads_object(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """``loads`` for data that must be a JSON object."""
    data = loads(raw, max_depth=max_depth)
    if not isinstance(data, dict):
        raise UndecodableError(f"not a JSON object but a {_json_type(data)}", raw)
    return data


def check_depth(raw_text: str, max_depth: int, raw: bytes | str | None = None) -> None:
    """Raise UndecodableError if the JSON in ``raw_text`` nests deeper than ``max_depth``.

    Counting opening brackets is enough for almost every value; otherwise strings are
    cut out and the deepest nesting is the highest running count of the brackets left
    (C loops, linear in the size). Bracket kinds are not matched here: the parser
    refuses a mismatch, and never recurses deeper than this count.
    """
    if raw_text.count("[") + raw_text.count("{") <= max_depth:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", raw_text))
    if max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > max_depth:
        raise UndecodableError(f"nested deeper than {max_depth} levels", raw if raw is not None else raw_text)


def to_text(value: bytes | str | None, default: str = "") -> str:
    """Text for display and names: invalid UTF-8 shows as U+FFFD, never raises."""
    if value is None:
        return default
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def exact_text(value: bytes | str) -> str:
    """Text that turns back into the same bytes (``to_wire``): invalid UTF-8 kept as surrogates.

    For values used again as keys or list members (LREM needs the exact bytes); show
    them through ``to_text``.
    """
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def to_wire(value: str) -> bytes:
    """The bytes ``exact_text`` came from (UTF-8 for any ordinary string)."""
    return value.encode("utf-8", "surrogateescape")


def content_digest(value: bytes | str) -> str:
    """sha1 of a stored value's exact bytes: names a job on a page without carrying it."""
    return hashlib.sha1(value if isinstance(value, bytes) else to_wire(value)).hexdigest()


def displayable(value: str) -> str:
    """``value`` safe to render: surrogates from ``exact_text`` shown as U+FFFD."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if not value.isascii() else value


def is_utf8(value: bytes | str) -> bool:
    if isinstance(value, str):
        return True
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def to_int(value: Any, default: int | None = 0) -> int | None:
    """A signed 64-bit integer from Redis (``b"12"``, ``"-3"``, ``12``), else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if -MAX_INDEX - 1 <= value <= MAX_INDEX else default
    text = to_text(value).strip() if isinstance(value, (bytes, str)) else ""
    if not _INTEGER.fullmatch(text):
        return default
    number = int(text)
    return number if -MAX_INDEX - 1 <= number <= MAX_INDEX else default


def to_float(value: Any, default: float | None = None) -> float | None:
    """A finite float (``b"1.5"``, ``2``, ``"3e2"``), else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        number = float(value) if abs(value) < 1e308 else math.inf
    elif isinstance(value, (bytes, str)) and _FLOAT.fullmatch(text := to_text(value).strip()):
        number = float(text)
    else:
        return default
    return number if math.isfinite(number) else default


def to_time(value: Any) -> dt.datetime | None:
    """An ISO-8601 time (a time without zone is taken as UTC), else None."""
    text = to_text(value).strip() if isinstance(value, (bytes, str)) else ""
    if not text or len(text) > 64:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def to_epoch(value: Any) -> dt.datetime | None:
    """A UTC time from epoch seconds, else None (out of range, not a number)."""
    seconds = to_float(value)
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_type(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "string"
    if data is None:
        return "null"
    return type(data).__name__
