"""Keyword arguments in a Resque payload, told apart by the job's signature alone.

A call's keyword arguments travel as a trailing hash in ``args``, as Ruby Resque jobs
expect (``perform(id, opts)``), and nothing else marks them: the payload stays
``{"class","args"}``, which every Ruby tool rebuilds, compares and searches by
(``Job.destroy``, ``remove_delayed``, resque-web's retry, resque-scheduler's move).

The rule: for a function with P positional parameters and no ``*args``, ``args`` of
length P + 1 ending in a hash are P positional arguments and that hash of keywords;
anything else is positional. Writing makes the rule hold: keywords that can go by
position go by position, and with keywords left the positional parameters not given
are filled with their defaults, so ``f(a, b=None, *, c=0)`` called as ``f(1, c=2)``
travels as ``[1, null, {"c": 2}]``. A call the rule could not carry (keywords to a
function with ``*args``, a default that is not JSON) is refused at the call site with
a JobArgumentError.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exceptions import JobArgumentError
from .payload import check_json_arguments

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class Shape:
    """A job function's signature, and its positional parameters (None with ``*args``)."""

    signature: inspect.Signature | None
    positional: tuple[inspect.Parameter, ...] | None


def shape_of(function: Callable[..., Any]) -> Shape:
    """The function's shape; no signature where Python cannot tell it (some builtins)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return Shape(None, None)
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return Shape(signature, None)
    return Shape(signature, tuple(p for p in parameters if p.kind in _POSITIONAL))


def split(shape: Shape, args: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments for a payload's ``args``."""
    positional = shape.positional
    if positional is None or len(args) != len(positional) + 1 or type(args[-1]) is not dict:
        return list(args), {}
    return list(args[:-1]), dict(args[-1])


def join(shape: Shape, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any], where: str) -> list[Any]:
    """A payload's ``args`` for ``(*args, **kwargs)`` that ``split`` reads back as the same call."""
    if not kwargs:
        return list(args)
    signature, positional = shape.signature, shape.positional
    if signature is None or positional is None:
        raise JobArgumentError(
            f"{where}: keyword arguments cannot travel to a function with *args (or no readable signature) "
            "in a Resque payload, whose args are a list: pass them by position."
        )
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise JobArgumentError(f"{where}: {exc}") from exc
    given = bound.arguments
    keywords = _keywords(signature, given)
    if keywords:
        travels = [*(_value(p, given, where) for p in positional), keywords]
    else:
        last = max((i for i, p in enumerate(positional) if p.name in given), default=-1)
        travels = [_value(p, given, where) for p in positional[: last + 1]]
    check_json_arguments(travels, {})
    return travels


def _keywords(signature: inspect.Signature, given: dict[str, Any]) -> dict[str, Any]:
    """The keyword-only and ``**kwargs`` part of a bound call."""
    keywords: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.name not in given:
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keywords[parameter.name] = given[parameter.name]
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            keywords.update(given[parameter.name])
    return keywords


def _value(parameter: inspect.Parameter, given: dict[str, Any], where: str) -> Any:
    """A positional argument as given, or the parameter's default when it must be written out."""
    if parameter.name in given:
        return given[parameter.name]
    try:
        check_json_arguments([parameter.default], {})
    except JobArgumentError:
        raise JobArgumentError(
            f"{where}: with keyword arguments, every positional parameter travels, and the default "
            f"of {parameter.name!r} ({parameter.default!r}) is not JSON: pass {parameter.name!r} explicitly."
        ) from None
    return parameter.default


def by_name(shape: Shape, args: list[Any], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The same call with every argument that has a parameter name passed by that name.

    One form for a call however it was made (``f(7, note="a")`` or ``f(7, "a")``), for
    functions of the call such as unique keys. Left as it is when it does not bind.
    """
    signature = shape.signature
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
