import datetime as dt

import pytest

from django_resque import failure
from django_resque.exceptions import MalformedPayloadError
from django_resque.failure import record as failure_record
from django_resque.failure.redis import RedisFailure

RUBY = (
    '{"failed_at":"2026/11/22 13:09:14 UTC","payload":{"class":"Boom","args":[0,"text-0",{"k":0}]},'
    '"exception":"BoomError","error":"Boom! args=[0,\\"text-0\\",{\\"k\\":0}]",'
    '"backtrace":["ruby_worker.rb:82:in `block in <main>\'"],"worker":"vm:16031:wire_q","queue":"wire_q"}'
)


def test_ruby_records_round_trip_byte_for_byte():
    decoded = failure_record.decode(RUBY)
    assert decoded.exception == "BoomError"
    assert decoded.job_name == "Boom"
    assert decoded.encode() == RUBY
    retried = decoded.retried(dt.datetime(2026, 11, 22, 13, 6, 55, tzinfo=dt.UTC))
    assert retried.encode() == RUBY[:-1] + ',"retried_at":"2026/11/22 13:06:55 UTC"}'


def test_record_from_an_exception_has_ruby_fields_in_order():
    try:
        raise KeyError("nope")
    except KeyError as exc:
        made = failure.from_exception(
            exc, {"class": "X", "args": [1]}, "h:1:q", "q", when=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        )
    assert list(made.as_dict()) == ["failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"]
    assert made.failed_at == "2026/01/02 03:04:05 UTC"
    assert made.exception == "KeyError"
    assert made.backtrace[-1].endswith(":in `test_record_from_an_exception_has_ruby_fields_in_order'")


def test_redis_backend_saves_and_reads(fake_redis):
    backend = RedisFailure()
    failure.save(failure_record.decode(RUBY))
    assert backend.count() == 1
    assert fake_redis.lindex("resque:failed", 0).decode() == RUBY
    assert backend.all(0, 10)[0].worker == "vm:16031:wire_q"
    backend.clear()
    assert backend.count() == 0


def test_a_record_with_odd_field_types_decodes():
    record = failure_record.decode(b'{"failed_at":1,"payload":[1],"exception":null,"error":{"a":1},"backtrace":7}')
    assert (record.failed_at, record.payload, record.exception, record.error, record.backtrace) == (
        "1",
        {},
        "",
        '{"a":1}',
        ["7"],
    )


def test_a_too_deep_record_is_a_malformed_payload_error():
    with pytest.raises(MalformedPayloadError, match="nested deeper"):
        failure_record.decode(b'{"payload":' + b"[" * 990 + b"]" * 990 + b"}")
