import pytest

from django_resque import delayed
from django_resque import queue as queues
from django_resque.exceptions import InvalidQueueNameError, MalformedPayloadError
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


@pytest.mark.parametrize("name", ["", " mail", "a,b", "a*", "a?", "new\nline", "nul\x00", "del\x7f", "\udcff"])
def test_bad_queue_names_are_refused(fake_redis, name):
    with pytest.raises(InvalidQueueNameError, match="Queue name"):
        queues.push(name, build("X", []))
    with pytest.raises(InvalidQueueNameError, match="Queue name"):
        delayed.schedule(4_000_000_000, name, build("X", []))
    assert fake_redis.keys("*") == []


def test_names_written_by_others_are_listed_even_when_not_utf8(fake_redis):
    fake_redis.sadd("resque:queues", b"q\xff", "bad\nname")
    assert queues.names() == ["bad\nname", "q\ufffd"]
    assert not queues.is_valid_name("bad\nname")


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


def test_push_registers_the_queue_and_appends_in_one_script(fake_redis):
    queues.push("q", build("X", [1]))
    queues.push("q", build("X", [2]))
    assert fake_redis.smembers("resque:queues") == {b"q"}
    assert fake_redis.lrange("resque:queue:q", 0, -1) == [b'{"class":"X","args":[1]}', b'{"class":"X","args":[2]}']


def test_push_many_keeps_order_per_queue_and_registers_every_queue(fake_redis):
    jobs = [("a", build("X", [1])), ("a", build("X", [2])), ("b", build("X", [3])), ("a", build("X", [4]))]
    assert queues.push_many(jobs) == 4
    assert [p.args for p in queues.peek("a", 0, 10)] == [[1], [2], [4]]
    assert [p.args for p in queues.peek("b", 0, 10)] == [[3]]
    assert queues.names() == ["a", "b"]


def test_push_many_sends_one_rpush_per_run_of_jobs_on_a_queue():
    jobs = [("a", build("X", [n])) for n in range(2500)] + [("b", build("X", [0])), ("a", build("X", [9]))]
    runs = queues._runs_by_queue((queue, payload.encode()) for queue, payload in jobs)
    assert [(queue, len(encoded)) for queue, encoded in runs] == [
        ("a", 1000),
        ("a", 1000),
        ("a", 500),
        ("b", 1),
        ("a", 1),
    ]
    assert runs[0][1][0] == '{"class":"X","args":[0]}'


def test_push_many_with_one_bad_queue_name_writes_nothing(fake_redis):
    with pytest.raises(ValueError, match="Queue name"):
        queues.push_many([("good", build("X", [1])), ("a,b", build("X", [2]))])
    assert fake_redis.keys("*") == []


def test_a_refused_name_is_refused_again_and_a_new_namespace_gets_its_own_keys(fake_redis, settings):
    for _ in range(2):  # a name's check is cached only once it passed
        with pytest.raises(InvalidQueueNameError, match="Queue name"):
            queues.push("a,b", build("X", []))
    with pytest.raises(InvalidQueueNameError, match="Queue name"):
        queues.push(["mail"], build("X", []))  # not even hashable
    queues.push("mail", build("X", []))
    settings.RESQUE = {**settings.RESQUE, "NAMESPACE": "shop"}
    queues.push("mail", build("X", []))
    assert fake_redis.llen("resque:queue:mail") == 1 and fake_redis.llen("shop:queue:mail") == 1
    assert fake_redis.smembers("shop:queues") == {b"mail"}
