"""Keyword arguments in a Resque payload, told apart by the job's signature alone.

A call's keyword arguments travel as a trailing hash in ``args``, as Ruby Resque jobs
expect (``perform(id, opts)``), and nothing else marks them: the payload stays
``{"class","args"}``, which every Ruby tool rebuilds, compares and searches by
(``Job.destroy``, ``remove_delayed``, resque-web's retry, resque-scheduler's move).

Reading: the trailing hash is keyword arguments when the function cannot take it as
its next positional argument and can take it as keywords. Writing makes that rule
hold: keywords that can go by position go by position, and a positional parameter
left out before keyword-only ones is filled with its default, so ``f(a, b=None, *,
c=0)`` called as ``f(1, c=2)`` travels as ``[1, null, {"c": 2}]``. A call that still
reads back differently (``*args`` with keywords, a default that is not JSON) is
refused at the call site with a JobArgumentError.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .exceptions import JobArgumentError
from .payload import check_json_arguments

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def signature_of(function: Callable[..., Any]) -> inspect.Signature | None:
    """The function's signature, or None where Python cannot tell it (some builtins)."""
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def split(signature: inspect.Signature | None, args: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments for a payload's ``args``."""
    if signature is None or not args or type(args[-1]) is not dict:
        return list(args), {}
    if _binds(signature, args, {}) or not _binds(signature, args[:-1], args[-1]):
        return list(args), {}
    return list(args[:-1]), dict(args[-1])


def join(
    signature: inspect.Signature | None, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any], where: str
) -> list[Any]:
    """A payload's ``args`` for ``(*args, **kwargs)`` that ``split`` reads back the same."""
    if not kwargs:
        return list(args)
    if signature is None:
        raise JobArgumentError(f"{where}: keyword arguments need a function whose signature Python can read.")
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise JobArgumentError(f"{where}: {exc}") from exc
    compact = _compact(bound)
    check_json_arguments(compact, {})
    if _same_call(signature, bound, split(signature, compact)):
        return compact
    filled = _filled(bound)
    if filled is not None and _is_json(filled) and _same_call(signature, bound, split(signature, filled)):
        return filled
    raise JobArgumentError(
        f"{where}: these keyword arguments could not be told from positional ones in a Resque payload "
        f"(its args are a list, keywords a trailing hash); pass {sorted(bound.kwargs)} by position, or give "
        "the function keyword-only parameters after plain ones with JSON defaults."
    )


def _compact(bound: inspect.BoundArguments) -> list[Any]:
    return [*bound.args, dict(bound.kwargs)] if bound.kwargs else list(bound.args)


def _filled(bound: inspect.BoundArguments) -> list[Any] | None:
    """The positional parameters all given (defaults filled in), then the keywords."""
    if not bound.kwargs:
        return None
    positional = [p for p in bound.signature.parameters.values() if p.kind in _POSITIONAL]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in bound.signature.parameters.values()):
        return None
    values = []
    for parameter in positional:
        if parameter.name in bound.arguments:
            values.append(bound.arguments[parameter.name])
        elif parameter.default is not inspect.Parameter.empty:
            values.append(parameter.default)
        else:
            return None
    return [*values, dict(bound.kwargs)]


def _same_call(
    signature: inspect.Signature, bound: inspect.BoundArguments, read: tuple[list[Any], dict[str, Any]]
) -> bool:
    try:
        again = signature.bind(*read[0], **read[1])
    except TypeError:
        return False
    meant = signature.bind(*bound.args, **bound.kwargs)
    meant.apply_defaults()
    again.apply_defaults()
    return again.arguments == meant.arguments


def _is_json(args: list[Any]) -> bool:
    try:
        check_json_arguments(args, {})
    except JobArgumentError:
        return False
    return True


def _binds(signature: inspect.Signature, args: list[Any], kwargs: dict[str, Any]) -> bool:
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def by_name(
    signature: inspect.Signature | None, args: list[Any], kwargs: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The same call with every argument that has a parameter name passed by that name.

    One form for a call however it was made (``f(7, note="a")`` or ``f(7, "a")``), for
    functions of the call such as unique keys. Left as it is when it does not bind.
    """
    if signature is None:
        return args, kwargs
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return args, kwargs
    parameters = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL and bound.arguments.get(p.name) for p in parameters):
        return list(bound.args), dict(bound.kwargs)
    positional, named = [], {}
    for parameter in parameters:
        if parameter.name not in bound.arguments:
            continue
        value = bound.arguments[parameter.name]
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(value)
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            named[parameter.name] = value
    return positional, named
