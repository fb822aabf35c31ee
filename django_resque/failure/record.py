"""The failure record, in Ruby Resque's exact JSON field order.

``{"failed_at","payload","exception","error","backtrace","worker","queue"}`` and
``retried_at`` appended after a retry; unknown keys survive a round trip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..decoding import RECORD_DEPTH, loads_object
from ..exceptions import MalformedPayloadError, UndecodableError
from ..payload import dumps

TIME_FORMAT = "%Y/%m/%d %H:%M:%S %Z"
_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep
_FIELDS = ("failed_at", "payload", "exception", "error", "backtrace", "worker", "queue")


def format_time(when: dt.datetime | None = None) -> str:
    """``2026/11/22 13:09:14 UTC``, as Ruby's ``strftime("%Y/%m/%d %H:%M:%S %Z")``."""
    when = when or dt.datetime.now(dt.UTC)
    return when.strftime(TIME_FORMAT)


@dataclass(frozen=True)
class FailureRecord:
    failed_at: str
    payload: dict[str, Any]
    exception: str
    error: str
    backtrace: list[str]
    worker: str
    queue: str
    retried_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def job_name(self) -> str:
        name = self.payload.get("class") if isinstance(self.payload, dict) else None
        return name if isinstance(name, str) else ""

    def as_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        data.update(self.extra)
        if self.retried_at is not None:
            data["retried_at"] = self.retried_at
        return data

    def encode(self) -> str:
        return dumps(self.as_dict())

    def retried(self, when: dt.datetime | None = None) -> FailureRecord:
        return dataclasses.replace(self, retried_at=format_time(when))

    def with_extra(self, **values: Any) -> FailureRecord:
        """The record with extra keys (after Ruby's fields), e.g. the attempt count."""
        return dataclasses.replace(self, extra={**self.extra, **values})


def stamp_retried(raw: bytes | str, when: dt.datetime | None = None, *, formatted: str | None = None) -> str:
    """``raw`` with ``retried_at`` set, other keys kept in their order, as Ruby's requeue.

    A record already retried keeps ``retried_at`` where it is, with the new time. The
    common case (never retried) appends to the text, sparing a decode and re-encode:
    ``raw`` must be a record that ``decode`` accepted. ``formatted`` is the time already
    formatted, for bulk retries that stamp many records with one time.
    """
    stamp = formatted or format_time(when)
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text.startswith("{") and text.endswith("}") and text != "{}" and '"retried_at"' not in text:
        return f'{text[:-1]},"retried_at":"{stamp}"}}'
    data = _load_object(text)
    data["retried_at"] = stamp
    return dumps(data)


def digest(raw: bytes | str) -> str:
    """sha1 naming one failure by content, the same before and after a retry stamps it.

    A retry only sets ``retried_at``: the record still names the same failure, so a
    digest listed before a retry still confirms it after (the scripts compare the exact
    bytes read just before any change). The top-level member is cut out of the text,
    where ``stamp_retried`` and Ruby put it, so a record is never decoded for this.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    start = data.rfind(b',"retried_at":"')
    if start != -1:
        end = data.find(b'"', start + 15)
        if end != -1 and data[end + 1 :].strip() == b"}":
            data = data[:start] + data[end + 1 :]
    return hashlib.sha1(data).hexdigest()


def from_exception(
    exc: BaseException, payload: dict[str, Any], worker: str, queue: str, *, when: dt.datetime | None = None
) -> FailureRecord:
    """A record for ``exc`` raised while performing ``payload``."""
    return FailureRecord(
        failed_at=format_time(when),
        payload=payload,
        exception=recorded_name(exc),
        error=str(exc),
        backtrace=format_backtrace(exc),
        worker=worker,
        queue=queue,
    )


def recorded_name(exc: BaseException) -> str:
    """The exception's name in a record: Ruby's for errors that mirror Ruby's (DirtyExit)."""
    name = getattr(type(exc), "recorded_name", None)
    return name if isinstance(name, str) else type(exc).__name__


def format_backtrace(exc: BaseException) -> list[str]:
    """One string per frame, innermost last, as Python prints them, from the job's first frame.

    The worker's own frames that lead to the job (perform, hooks) are cut, as Ruby's
    ``filter_backtrace`` cuts Resque's; an error raised in our code alone keeps them all.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if not _is_ours(frame.filename)), 0)
    return [f"{frame.filename}:{frame.lineno}:in `{frame.name}'" for frame in frames[first:]]


def _is_ours(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR)


def _load_object(raw: bytes | str) -> dict[str, Any]:
    try:
        return loads_object(raw, max_depth=RECORD_DEPTH)
    except UndecodableError as exc:
        raise MalformedPayloadError(f"failure record is {exc.reason}", raw) from exc


def decode(raw: bytes | str) -> FailureRecord:
    """Parse a record from Redis (ours or Ruby's)."""
    data = _load_object(raw)
    known = {name: data.get(name) for name in _FIELDS}
    extra = {key: value for key, value in data.items() if key not in _FIELDS and key != "retried_at"}
    return FailureRecord(
        failed_at=_text(known["failed_at"]),
        payload=known["payload"] if isinstance(known["payload"], dict) else {},
        exception=_text(known["exception"]),
        error=_text(known["error"]),
        backtrace=_lines(known["backtrace"]),
        worker=_text(known["worker"]),
        queue=_text(known["queue"]),
        retried_at=_text(data["retried_at"]) if data.get("retried_at") is not None else None,
        extra=extra,
    )


def _text(value: Any) -> str:
    """A field that should be a string: other JSON shown as JSON, missing as ""."""
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else dumps(value)


def _lines(value: Any) -> list[str]:
    """A backtrace: a list of lines, or anything else (Ruby's nil, an int) as one line."""
    if value is None or value == "":
        return []
    return [_text(line) for line in value] if isinstance(value, list) else [_text(value)]
