"""The decoding boundary: nothing read from Redis raises anything but UndecodableError."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest

from django_resque import decoding
from django_resque.decoding import MAX_DEPTH
from django_resque.exceptions import UndecodableError


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize("depth", [990, 1000, 5000, 200_000])
def test_deep_json_is_an_undecodable_error_not_a_recursion_error(depth):
    with pytest.raises(UndecodableError, match="nested deeper than 100 levels"):
        decoding.loads(nested(depth))


def test_deep_json_fails_even_on_a_deep_call_stack():
    def at_depth(levels: int) -> object:
        return decoding.loads(nested(MAX_DEPTH)) if levels == 0 else at_depth(levels - 1)

    limit = sys.getrecursionlimit()
    assert at_depth(limit - 150) is not None  # 100 levels parse even near the recursion limit


def test_json_up_to_the_limit_parses():
    assert decoding.loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    assert decoding.loads('{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH)


def test_brackets_inside_strings_do_not_count():
    value = '["' + "[" * 5000 + '\\"{"]'
    assert decoding.loads(value) == ["[" * 5000 + '"{']


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe", "[\udcff]", b"{not json", b"[1,2", b"NaN", b"[Infinity]", b"[" * 150 + b"}", b"1" * 5000, b""],
)
def test_bad_values_raise_our_error_with_the_raw_value(raw):
    with pytest.raises(UndecodableError) as caught:
        decoding.loads(raw)
    assert caught.value.raw == raw


def test_loads_object_refuses_other_json():
    with pytest.raises(UndecodableError, match="not a JSON object but a list"):
        decoding.loads_object(b"[1]")
    assert decoding.loads_object(b'{"a":1}') == {"a": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"12", 12),
        ("-3", -3),
        (7, 7),
        (b" 4 ", 4),
        (b"1.5", None),
        (b"\xb2", None),
        ("²", None),
        (b"x", None),
        (str(2**63).encode(), None),
        (str(2**63 - 1).encode(), 2**63 - 1),
        (True, None),
        (None, None),
        (b"", None),
    ],
)
def test_to_int(value, expected):
    assert decoding.to_int(value, None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1.5", 1.5),
        (b"2", 2.0),
        ("3e2", 300.0),
        (b"nan", None),
        (b"inf", None),
        (b"1e999", None),
        (b"abc", None),
        (10**400, None),
        (None, None),
    ],
)
def test_to_float(value, expected):
    assert decoding.to_float(value) == expected


def test_to_time_reads_a_time_without_zone_as_utc():
    assert decoding.to_time(b"2026-01-02T03:04:05") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert decoding.to_time(b"2026-01-02T03:04:05+01:00").utcoffset() == dt.timedelta(hours=1)
    assert decoding.to_time(b"yesterday") is None
    assert decoding.to_time(b"\xff") is None
    assert decoding.to_time(None) is None


def test_to_epoch_out_of_range_is_none():
    assert decoding.to_epoch(10**20) is None
    assert decoding.to_epoch(b"x") is None
    assert decoding.to_epoch(0) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def test_exact_text_round_trips_invalid_utf8_and_displays_it_safely():
    raw = b"job\xff\xfe"
    text = decoding.exact_text(raw)
    assert decoding.to_wire(text) == raw
    assert decoding.displayable(text) == "job\ufffd\ufffd"
    assert decoding.displayable(text).encode("utf-8")
    assert decoding.to_text(raw) == "job\ufffd\ufffd"
