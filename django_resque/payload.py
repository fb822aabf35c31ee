"""The Resque job payload: ``{"class": name, "args": [...]}`` as compact JSON.

Encoding matches Ruby's bytes (no spaces, raw UTF-8) because Ruby compares encoded
strings in ``Resque::Job.destroy`` and resque-scheduler's ``timestamps:`` keys.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import Any

from .decoding import MAX_DEPTH, check_depth, loads, loads_object, to_text
from .exceptions import JobArgumentError, MalformedPayloadError, UndecodableError

# Set on payloads whose last argument carries keyword arguments. Ruby ignores it and
# sees a trailing hash, as Resque users expect.
KWARGS_FLAG = "kwargs"
# The job's id (``handle.new_id``), after ``args``: Ruby's worker keeps it (failure records
# show it); Ruby's scheduler and retry plugin drop it when they push the job again.
ID_KEY = "id"


# One encoder for the process: ``json.dumps`` with options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# The C encoder ``_ENCODER.encode`` would use, made once: ``JSONEncoder.encode`` makes one
# (and a closure) per call, two thirds of the time it takes on a job's arguments. It has
# no cycle check (markers None): the RecursionError a cycle gives is answered by redoing
# the call with ``_ENCODER``, which says what is wrong.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER = (
    _make_c_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    if _make_c_encoder is not None
    else None
)


def dumps(value: Any) -> str:
    """Compact JSON, byte-compatible with Ruby's MultiJson output."""
    if _C_ENCODER is None:  # not CPython
        return _ENCODER.encode(value)
    try:
        return "".join(_C_ENCODER(value, 0))
    except RecursionError:
        return _ENCODER.encode(value)  # raises as json does: a cycle, or nesting Python cannot follow


# Sorted keys: one text per JSON value, whatever order its objects were written in.
_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, sort_keys=True)


def canonical(value: Any) -> str:
    """JSON equal for equal JSON values and only for them: keys sorted, and ``1``, ``1.0``, ``true`` apart.

    For comparing decoded data (Python's ``==`` takes ``1 == 1.0 == True``).
    """
    return _CANONICAL.encode(value)


def object_or_raw(data: Any, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object to show or record: ``data`` if it is one, decoded if it is bytes holding one.

    Anything else (bytes that are not a JSON object, text, a list...) is kept as text
    under ``raw``: bad data from Redis is shown and recorded, never raised.
    """
    if isinstance(data, dict):
        return data
    if isinstance(data, bytes):
        try:
            return loads_object(data, max_depth=max_depth)
        except UndecodableError:
            return {"raw": to_text(data)}
    return {"raw": data if isinstance(data, str) else dumps(data)}


@functools.lru_cache(maxsize=512)
def _head(name: str) -> str:
    """``{"class":<name>,"args":``: what every payload starts with (kept per job name)."""
    return '{"class":' + dumps(name) + ',"args":'


def _encode(name: str, args: Any) -> str:
    """``dumps({"class": name, "args": args})``, byte for byte, encoding only ``args``."""
    return _readable(_head(name) + dumps(args) + "}")


def _readable(encoded: str) -> str:
    """``encoded``, unless it nests deeper than workers (ours and Ruby's) read: then JobArgumentError."""
    try:
        check_depth(encoded, MAX_DEPTH)
    except UndecodableError:
        raise _too_deep() from None
    return encoded


def _too_deep() -> JobArgumentError:
    return JobArgumentError(
        f"The job's arguments nest too deep: a payload may nest {MAX_DEPTH} levels in all, its own "
        f"object and argument list included (Ruby's JSON max_nesting), so a worker would refuse it. "
        "Pass flatter data, or an id to look it up by."
    )


def _encode_with_id(name: str, args: Any, job_id: str) -> str:
    """``dumps({"class": name, "args": args, "id": job_id})``, byte for byte."""
    # Letters and digits need no escaping (ensure_ascii=False): ours are hex digits.
    quoted = '"' + job_id + '"' if job_id.isalnum() else dumps(job_id)
    return _readable(_head(name) + dumps(args) + ',"id":' + quoted + "}")


@dataclass(frozen=True)
class Payload:
    """A decoded job payload. ``extra`` keeps keys we do not know, so they survive."""

    name: str
    args: list[Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        """The job's id, when the payload carries one that is a string."""
        value = self.extra.get(ID_KEY)
        return value if isinstance(value, str) else None

    @property
    def has_kwargs(self) -> bool:
        return bool(self.extra.get(KWARGS_FLAG))

    def call_arguments(self) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the job function."""
        if self.has_kwargs and self.args and isinstance(self.args[-1], dict):
            return list(self.args[:-1]), dict(self.args[-1])
        return list(self.args), {}

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.name, "args": self.args, **self.extra}

    def encode(self) -> str:
        if not self.extra:
            return _encode(self.name, self.args)
        if len(self.extra) == 1 and type(self.extra.get(ID_KEY)) is str:  # the usual case: only an id
            return _encode_with_id(self.name, self.args, self.extra[ID_KEY])
        return _readable(dumps(self.as_dict()))


def build(
    name: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any] | None = None, job_id: str | None = None
) -> Payload:
    """A payload for ``name(*args, **kwargs)``, refusing anything that is not plain JSON."""
    check_json_arguments(args, kwargs or {})
    extra: dict[str, Any] = {KWARGS_FLAG: True} if kwargs else {}
    if job_id is not None:
        extra[ID_KEY] = job_id
    return Payload(name, [*args, dict(kwargs)] if kwargs else list(args), extra)


def encode_call(
    name: str, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any] | None = None, job_id: str | None = None
) -> str:
    """``build(name, args, kwargs, job_id).encode()`` without the Payload in between (bulk enqueueing)."""
    if kwargs:
        return build(name, args, kwargs, job_id).encode()
    check_json_arguments(args, {})
    if job_id is None:
        return _encode(name, args)
    return _encode_with_id(name, args, job_id)


def decode(raw: bytes | str) -> Payload:
    """Parse a payload from Redis, or raise MalformedPayloadError carrying the raw data."""
    try:
        data = loads(raw)
    except UndecodableError as exc:
        raise MalformedPayloadError(exc.reason, raw) from exc
    return from_dict(data, raw)


def from_dict(data: Any, raw: bytes | str = "") -> Payload:
    if not isinstance(data, dict):
        raise MalformedPayloadError("not a JSON object", raw or dumps(data))
    name, args = data.get("class"), data.get("args", [])
    if not isinstance(name, str) or not name:
        raise MalformedPayloadError("'class' is missing or not a string", raw or dumps(data))
    if not isinstance(args, list):
        raise MalformedPayloadError("'args' is not a list", raw or dumps(data))
    extra = {key: value for key, value in data.items() if key not in ("class", "args")}
    return Payload(name, args, extra)


def check_json_arguments(args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any]) -> None:
    """Raise JobArgumentError naming the first argument that is not plain JSON (or nests too deep)."""
    try:
        if _is_plain_json(args) and (not kwargs or _is_plain_json(kwargs)):
            return
    except RecursionError:
        raise _too_deep() from None
    for position, value in enumerate(args):
        _check_value(value, f"argument {position}")
    for name, value in kwargs.items():
        _check_value(value, f"keyword argument {name!r}")


def _check_value(value: Any, where: str) -> None:
    problem = _json_problem(value, "")
    if problem is None:
        return
    path, bad, is_key = problem
    kind = _a(type(bad).__name__)
    if is_key:
        what = f"{where}{path} has the key {_short_repr(bad)}, {kind}: JSON object keys must be strings."
    else:
        what = f"{where}{path} is {kind} ({_short_repr(bad)}), which cannot be sent as JSON."
    raise JobArgumentError(
        f"{what} Job arguments must be str, int, float, bool, None, lists and dicts "
        "with string keys: pass an id (e.g. user.pk) or an ISO string instead of the object."
    )


def _a(noun: str) -> str:
    """``a datetime``, ``an int``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


# Exact types that are JSON as they are; anything else (float, containers, subclasses)
# takes a closer look.
_PLAIN = frozenset((str, int, bool, type(None)))


def _is_plain_json(value: Any) -> bool:
    """Fast yes for the usual case (exact JSON types); anything else gets the full check.

    Plain loops, not ``all()`` over a generator: half the time, on every enqueue.
    """
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110
            if type(item) not in _PLAIN and not _is_plain_json(item):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _PLAIN and not _is_plain_json(item)):
                return False
        return True
    if kind is float:
        return math.isfinite(value)
    return _json_problem(value, "") is None


def _json_problem(value: Any, path: str) -> tuple[str, Any, bool] | None:
    """(where, the bad value, whether it is a dict key) of the first non-JSON part, or None."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value, False)
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _json_problem(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (path, key, True)
            found = _json_problem(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    return (path, value, False)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
