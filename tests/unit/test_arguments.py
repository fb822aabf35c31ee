"""Keyword arguments told apart by the job's signature, with nothing but class and args."""

from __future__ import annotations

import pytest

from django_resque.arguments import by_name, join, shape_of, split
from django_resque.exceptions import JobArgumentError
from django_resque.payload import from_dict
from tests.support import jobs as support


def gap(a, b=None, *, c=0): ...


def keyword_only(a, b, *, scale=1): ...


def extras(a, **opts): ...


def takes_a_dict(a, opts): ...


def anything(*args, **kwargs): ...


NOT_JSON = object()


def odd_default(a, b=NOT_JSON, *, c=0): ...


def _called(signature, args, kwargs) -> dict:
    """Every parameter's value in a call, defaults included."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


@pytest.mark.parametrize(
    "function, args, kwargs, travels",
    [
        (keyword_only, (1, 2), {"scale": 3}, [1, 2, {"scale": 3}]),
        (gap, (1,), {"c": 2}, [1, None, {"c": 2}]),  # the gap filled, so the hash cannot be read as b
        (gap, (1,), {"b": {"c": 5}}, [1, {"c": 5}]),  # a keyword that can go by position does
        (extras, (1,), {"x": 2}, [1, {"x": 2}]),
        (takes_a_dict, (1,), {"opts": {"z": 1}}, [1, {"z": 1}]),
        (gap, (1, {"c": 3}), {}, [1, {"c": 3}]),
    ],
)
def test_a_call_travels_as_args_and_reads_back_the_same(function, args, kwargs, travels):
    shape = shape_of(function)
    assert join(shape, args, kwargs, "f") == travels
    read_args, read_kwargs = split(shape, travels)
    assert _called(shape.signature, read_args, read_kwargs) == _called(shape.signature, args, kwargs)


@pytest.mark.parametrize("function, problem", [(anything, r"\*args"), (odd_default, "'b' .* is not JSON")])
def test_a_call_that_could_not_be_read_back_is_refused_at_the_call_site(function, problem):
    with pytest.raises(JobArgumentError, match=problem):
        join(shape_of(function), (1,), {"c": 2}, "f")


def test_keywords_that_are_not_json_are_refused_naming_them():
    with pytest.raises(JobArgumentError, match=r"argument 2\['scale'\] is a set"):
        join(shape_of(keyword_only), (1, 2), {"scale": {3}}, "f")


def test_a_call_that_does_not_bind_is_refused_naming_the_problem():
    with pytest.raises(JobArgumentError, match="unexpected keyword argument 'nope'"):
        join(shape_of(keyword_only), (1, 2), {"nope": 1}, "f")


def test_a_job_payload_is_class_and_args_only_and_still_calls_with_keywords(fake_redis):
    payload = support.add.payload(1, 2, scale=3)
    assert payload.encode() == '{"class":"tests.support.jobs.add","args":[1,2,{"scale":3}]}'
    rebuilt = from_dict({"class": payload.name, "args": payload.args})  # as Ruby rebuilds it
    assert support.add.perform_payload(rebuilt) == 9
    legacy = from_dict({"class": payload.name, "args": [1, 2, {"scale": 3}], "kwargs": True})
    assert support.add.call_arguments(legacy) == ([1, 2], {"scale": 3})


def test_by_name_gives_one_form_for_every_way_of_calling():
    shape = shape_of(gap)
    assert by_name(shape, [1, 2], {}) == by_name(shape, [1], {"b": 2}) == ([], {"a": 1, "b": 2})
    assert by_name(shape_of(anything), [1, 2], {"x": 1}) == ([1, 2], {"x": 1})
    assert by_name(shape, [1, 2, 3, 4], {}) == ([1, 2, 3, 4], {})  # does not bind: left alone
    assert by_name(shape_of(len), [1], {}) == ([1], {})
