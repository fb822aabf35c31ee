import pytest

from django_resque import queue as queues
from django_resque.exceptions import MalformedPayloadError
from django_resque.payload import build


def test_push_size_peek_and_remove(fake_redis):
    for n in range(5):
        queues.push("q", build("X", [n]))
    assert queues.size("q") == 5
    assert [p.args for p in queues.peek("q", 1, 2)] == [[1], [2]]
    assert queues.peek("q", 0, 0) == []
    queues.remove_queue("q")
    assert queues.size("q") == 0
    assert queues.names() == []


def test_peek_of_a_malformed_payload_raises(fake_redis):
    fake_redis.rpush("resque:queue:q", "garbage")
    with pytest.raises(MalformedPayloadError):
        queues.peek("q")
    assert queues.peek_raw("q") == [b"garbage"]


@pytest.mark.parametrize("name", ["", " mail", "a,b", "a*"])
def test_bad_queue_names_are_refused(fake_redis, name):
    with pytest.raises(ValueError, match="Queue name"):
        queues.push(name, build("X", []))


def test_queue_names_with_colons_and_inner_spaces_are_allowed(fake_redis):
    queues.push("a:b c", build("X", []))
    assert queues.names() == ["a:b c"]
