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


def test_sizes_of_many_queues_in_one_call(fake_redis):
    queues.push("a", build("X", [1]))
    queues.push("a", build("X", [2]))
    assert queues.sizes(["a", "empty"]) == {"a": 2, "empty": 0}
    assert queues.sizes([]) == {}


def test_clear_drops_jobs_but_keeps_the_queue_listed(fake_redis):
    for n in range(3):
        queues.push("q", build("X", [n]))
    assert queues.clear("q") == 3
    assert queues.size("q") == 0
    assert queues.names() == ["q"]
    assert queues.clear("q") == 0


def test_remove_job_removes_one_copy_by_its_exact_bytes(fake_redis):
    for n in (1, 2, 1):
        queues.push("q", build("X", [n]))
    raw = build("X", [1]).encode()
    assert queues.remove_job("q", raw) is True
    assert [p.args for p in queues.peek("q", 0, 10)] == [[2], [1]]
    assert queues.remove_job("q", '{"class": "X", "args": [2]}') is False
    assert queues.size("q") == 2
