import collections
import datetime as dt
import decimal
import enum
import json

import pytest

from django_resque import payload
from django_resque.decoding import loads
from django_resque.exceptions import JobArgumentError, MalformedPayloadError


def test_encoding_is_byte_compatible_with_ruby():
    built = payload.build("PyMade", ["héllo ☃", "a/b", 1.0, None, True, {"nested": [1, 2]}])
    assert built.encode() == '{"class":"PyMade","args":["héllo ☃","a/b",1.0,null,true,{"nested":[1,2]}]}'
    assert payload.dumps("\x01") == '"\\u0001"'


def test_kwargs_travel_as_a_trailing_hash_and_come_back_as_kwargs():
    built = payload.build("add", (1, 2), {"scale": 3})
    assert built.encode() == '{"class":"add","args":[1,2,{"scale":3}],"kwargs":true}'
    assert payload.decode(built.encode()).call_arguments() == ([1, 2], {"scale": 3})


def test_a_trailing_dict_without_the_flag_stays_positional():
    decoded = payload.decode('{"class":"X","args":[1,{"a":2}]}')
    assert decoded.call_arguments() == ([1, {"a": 2}], {})


def test_extra_keys_survive_a_round_trip():
    raw = '{"class":"X","args":[],"queue":"q","id":"abc"}'
    assert payload.decode(raw).encode() == raw


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((dt.datetime(2026, 1, 1),), {}, r"argument 0 is a datetime \(datetime.datetime\(2026, 1, 1, 0, 0\)\), which"),
        ((1, {3, 4}), {}, "argument 1 is a set"),
        ((), {"price": decimal.Decimal("1.5")}, "keyword argument 'price' is a Decimal"),
        (([1, [object()]],), {}, r"argument 0\[1\]\[0\] is an object"),
        (({1: "a"},), {}, "argument 0 has the key 1, an int: JSON object keys must be strings"),
        (([{"a": {(1, 2): 3}}],), {}, r"argument 0\[0\]\['a'\] has the key \(1, 2\), a tuple: JSON object keys"),
        ((float("nan"),), {}, "argument 0 is a float"),
    ],
)
def test_non_json_arguments_are_refused_naming_the_argument(args, kwargs, expected):
    with pytest.raises(JobArgumentError, match=expected) as caught:
        payload.build("job", args, kwargs)
    assert "pass an id" in str(caught.value)
    assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1,2]", "not a JSON object"),
        (b'{"args":[]}', "'class' is missing"),
        (b'{"class":"X","args":{"a":1}}', "'args' is not a list"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_payloads_raise_with_the_raw_data(raw, reason):
    with pytest.raises(MalformedPayloadError, match=reason) as caught:
        payload.decode(raw)
    assert caught.value.raw == raw


def test_missing_args_default_to_empty():
    assert payload.decode('{"class":"X"}').args == []


class Level(enum.IntEnum):
    LOW = 1


@pytest.mark.parametrize(
    "value",
    [1, 1.5, "s", None, True, [1, (2, 3)], {"a": {"b": [None]}}, Level.LOW, collections.OrderedDict(a=1)],
)
def test_the_fast_check_accepts_what_the_full_check_accepts(value):
    assert payload._json_problem(value, "") is None
    payload.check_json_arguments([value], {"k": value})


@pytest.mark.parametrize(
    "value", [float("inf"), [1, {2: "x"}], {"a": {1, 2}}, (object(),), collections.OrderedDict({1: 2})]
)
def test_the_fast_check_refuses_what_the_full_check_refuses(value):
    assert payload._is_plain_json(value) is False
    with pytest.raises(JobArgumentError):
        payload.check_json_arguments([value], {})


NAMES = ["X", 'quo"te\\back', "héllo ☃ \x01", "tests.support.jobs.remember"]
ARGS = [(), (1, "two", {"three": 3}), ([1.5, None, True], {"nested": {"deep": ["é"]}}), ("\u2028", -0.0, 10**30)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("args", ARGS)
def test_a_payload_encodes_byte_for_byte_as_its_whole_dict(name, args):
    built = payload.build(name, args)
    assert built.encode() == payload.dumps({"class": name, "args": list(args)})
    with_extra = payload.Payload(name, list(args), {"queue": "q"})
    assert with_extra.encode() == payload.dumps({"class": name, "args": list(args), "queue": "q"})


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("args", ARGS)
def test_encode_call_gives_the_bytes_of_build_then_encode(name, args):
    assert payload.encode_call(name, args) == payload.build(name, args).encode()
    assert payload.encode_call(name, list(args), {"k": 1}) == payload.build(name, args, {"k": 1}).encode()


def test_encode_call_refuses_non_json_arguments_as_build_does():
    with pytest.raises(JobArgumentError, match="argument 1 is a set"):
        payload.encode_call("job", (1, {3, 4}))
    with pytest.raises(JobArgumentError, match="keyword argument 'when' is a datetime"):
        payload.encode_call("job", (), {"when": dt.datetime(2026, 1, 1)})


def _nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_arguments_as_deep_as_a_worker_reads_are_sent_and_deeper_ones_refused_at_the_call_site():
    """A payload nests 100 levels at most (decoding.MAX_DEPTH): its object and args list, then 98."""
    loads(payload.build("Deep", [_nested(98)]).encode())
    loads(payload.encode_call("Deep", [_nested(98)]))
    for deeper in (_nested(99), _nested(5000)):
        with pytest.raises(JobArgumentError, match="nest too deep"):
            payload.build("Deep", [deeper]).encode()
        with pytest.raises(JobArgumentError, match="nest too deep"):
            payload.encode_call("Deep", [deeper])
    with pytest.raises(JobArgumentError, match="nest too deep"):
        payload.build("Deep", [], {"tree": _nested(99)}).encode()


def test_object_or_raw_keeps_bad_data_as_text():
    from django_resque.payload import object_or_raw

    assert object_or_raw({"class": "A"}) == {"class": "A"}
    assert object_or_raw(b'{"class":"A"}') == {"class": "A"}
    assert object_or_raw(b"\xff not json") == {"raw": "\ufffd not json"}
    assert object_or_raw(b"[1]") == {"raw": "[1]"}
    assert object_or_raw("not decoded") == {"raw": "not decoded"}
    assert object_or_raw([1, "a"]) == {"raw": '[1,"a"]'}


def test_canonical_is_equal_for_equal_json_values_only():
    assert payload.canonical({"b": [1, {"d": 2, "c": None}], "a": "é"}) == '{"a":"é","b":[1,{"c":null,"d":2}]}'
    assert len({payload.canonical(value) for value in ([1], [1.0], [True])}) == 3


@pytest.mark.parametrize("job_id", ["0194f3a2c1de5b8e0c4e2f6a", "abc_DEF-9", "é2", 'a"b', "a\\b", "tab\there", ""])
def test_an_id_is_written_as_json_would_write_it(job_id):
    built = payload.build("X", [1], job_id=job_id)
    assert built.encode() == payload.dumps({"class": "X", "args": [1], "id": job_id})
    assert payload.encode_call("X", [1], job_id=job_id) == built.encode()


@pytest.mark.parametrize(
    "value", ['é☃\x01"\\/', 1.0, 1e300, -0.0, 2**70, True, None, [], {"a": [1, {"b": "c"}]}, {1: 2}, 3.14159]
)
def test_dumps_writes_what_the_json_module_writes(value):
    assert payload.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def test_dumps_refuses_what_the_json_module_refuses_with_its_words():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        payload.dumps({"x": cycle})
    with pytest.raises(ValueError, match="Out of range float"):
        payload.dumps([float("nan")])
    with pytest.raises(TypeError, match="not JSON serializable"):
        payload.dumps([object()])
