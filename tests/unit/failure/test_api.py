import hashlib
import json

import pytest

from django_resque import keys
from django_resque.failure import api, from_exception, save
from django_resque.failure.record import decode


def _fail(index, *, queue="q", name="Job", exception=KeyError, extra_payload=None):
    try:
        raise exception(f"boom {index}")
    except exception as exc:
        payload = {"class": name, "args": [index], **(extra_payload or {})}
        save(from_exception(exc, payload, "host:1:q", queue))


def _raw(fake_redis, index):
    return fake_redis.lindex(keys.failed(), index)


def _queued(fake_redis, queue):
    return [json.loads(raw) for raw in fake_redis.lrange(keys.queue(queue), 0, -1)]


@pytest.fixture
def five(fake_redis):
    for index in range(5):
        _fail(
            index, queue="a" if index % 2 else "b", name=f"Job{index % 3}", exception=KeyError if index < 3 else OSError
        )
    return fake_redis


def test_count_and_filters(five):
    assert api.count() == 5
    assert api.count(queue="a") == 2
    assert api.count(job="Job0") == 2
    assert api.count(exception="OSError") == 2
    assert api.count(queue="b", exception="KeyError") == 2


def test_page_offsets_limits_and_filters(five):
    assert [entry.index for entry in api.page(1, 2)] == [1, 2]
    assert [entry.index for entry in api.page(0, 10, queue="b")] == [0, 2, 4]
    assert [entry.index for entry in api.page(1, 1, queue="b")] == [2]
    assert [entry.record.payload["args"] for entry in api.page(0, 5, job="Job1")] == [[1], [4]]
    assert api.page(10, 5) == []
    with pytest.raises(ValueError):
        api.page(-1, 5)


def test_get_returns_raw_record_and_digest(five):
    entry = api.get(3)
    assert entry.raw == _raw(five, 3)
    assert entry.digest == hashlib.sha1(entry.raw).hexdigest()
    assert entry.record.exception == "OSError"
    with pytest.raises(api.FailureNotFoundError):
        api.get(5)


def test_retry_one_requeues_and_stamps_retried_at_in_place(five):
    entry = api.get(1)
    api.retry(1, entry.raw)
    assert _queued(five, "a") == [{"class": "Job1", "args": [1]}]
    assert five.smembers(keys.queues()) == {b"a"}
    stamped = json.loads(_raw(five, 1))
    assert list(stamped)[-1] == "retried_at"
    assert api.count() == 5


def test_retry_accepts_the_digest(five):
    api.retry(2, api.get(2).digest)
    assert _queued(five, "b") == [{"class": "Job2", "args": [2]}]


def test_single_changes_refuse_a_moved_target(five):
    seen = api.get(2)
    api.remove(0, api.get(0).raw)  # index 2 now holds another failure
    with pytest.raises(api.StaleFailureError):
        api.retry(2, seen.raw)
    with pytest.raises(api.StaleFailureError):
        api.remove(2, seen.digest)
    assert api.count() == 4
    assert five.llen(keys.queue("b")) == 0


def test_retry_drops_the_attempt_count_and_keeps_kwargs(fake_redis):
    _fail(0, extra_payload={"kwargs": True, "attempt": 4})
    api.retry(0, api.get(0).raw)
    assert _queued(fake_redis, "q") == [{"class": "Job", "args": [0], "kwargs": True}]


def test_retry_of_a_record_without_payload_is_a_clear_error(fake_redis):
    fake_redis.rpush(keys.failed(), "not json", '{"failed_at":"x","payload":{},"queue":"q"}')
    with pytest.raises(api.FailureAPIError, match="no readable record"):
        api.retry(0, "not json")
    with pytest.raises(api.FailureAPIError, match="no job payload"):
        api.retry(1, api.get(1).raw)
    assert api.get(0).record is None
    assert fake_redis.llen(keys.failed()) == 2


def test_remove_one(five):
    gone = api.remove(1, api.get(1).raw)
    assert api.count() == 4
    assert gone.raw not in five.lrange(keys.failed(), 0, -1)


def test_remove_one_leaves_an_identical_record_alone(fake_redis):
    fake_redis.rpush(keys.failed(), "", '{"a":1}', '{"a":1}')
    api.remove(2, '{"a":1}')
    assert fake_redis.lrange(keys.failed(), 0, -1) == [b"", b'{"a":1}']


def test_retry_many_and_remove_many(five):
    targets = [(entry.index, entry.digest) for entry in api.page(0, 5, queue="b")]
    assert api.retry_many(targets) == 3
    assert [item["args"] for item in _queued(five, "b")] == [[0], [2], [4]]
    assert all("retried_at" in json.loads(_raw(five, index)) for index in (0, 2, 4))
    assert api.remove_many([(0, api.get(0).raw), (4, api.get(4).raw)]) == 2
    assert api.count() == 3


def test_bulk_changes_are_all_or_nothing(five):
    seen = [(0, api.get(0).raw), (3, api.get(3).raw)]
    api.remove(0, api.get(0).raw)
    with pytest.raises(api.StaleFailureError):
        api.remove_many(seen)
    with pytest.raises(api.FailureNotFoundError):
        api.retry_many([(9, "x")])
    assert api.count() == 4
    assert five.llen(keys.queue("a")) == 0


def test_retry_all_by_exception_class(five):
    assert api.retry_all(exception="OSError") == 2
    assert _queued(five, "a") == [{"class": "Job0", "args": [3]}]
    assert _queued(five, "b") == [{"class": "Job1", "args": [4]}]
    stamped = [index for index in range(5) if "retried_at" in json.loads(_raw(five, index))]
    assert stamped == [3, 4]


def test_retry_all_and_remove_all(five):
    assert api.retry_all() == 5
    assert five.llen(keys.queue("a")) + five.llen(keys.queue("b")) == 5
    assert api.remove_all(job="Job0") == 2
    assert api.count() == 3
    assert api.remove_all(queue="zzz") == 0


def test_clear_everything_or_one_queue(five):
    api.clear("a")
    assert api.count() == 3
    assert api.count(queue="a") == 0
    api.clear()
    assert api.count() == 0


def test_a_ruby_record_is_listed_and_retried(fake_redis):
    ruby = (
        '{"failed_at":"2026/11/22 13:09:14 UTC","payload":{"class":"Boom","args":[0,"text-0",{"k":0}]},'
        '"exception":"BoomError","error":"Boom!","backtrace":["ruby_worker.rb:82"],"worker":"vm:16031:wire_q",'
        '"queue":"wire_q"}'
    )
    fake_redis.rpush(keys.failed(), ruby)
    assert api.page(0, 1)[0].record.exception == "BoomError"
    api.retry(0, ruby)
    assert fake_redis.lrange(keys.queue("wire_q"), 0, -1) == [b'{"class":"Boom","args":[0,"text-0",{"k":0}]}']
    stamped = _raw(fake_redis, 0).decode()
    assert stamped.startswith(ruby[:-1] + ',"retried_at":"')
    assert decode(stamped).retried_at


def test_a_second_retry_keeps_retried_at_in_place(fake_redis):
    _fail(0)
    api.retry(0, api.get(0).raw)
    first = _raw(fake_redis, 0)
    api.retry(0, first)
    assert list(json.loads(_raw(fake_redis, 0))).count("retried_at") == 1
    assert fake_redis.llen(keys.queue("q")) == 2


def test_the_digest_names_the_failure_and_survives_its_retries(five):
    """A retry stamps retried_at; the failure is the same, so the digest listed before confirms it after."""
    listed = api.get(2).digest
    api.retry(2, listed)
    assert b'"retried_at"' in _raw(five, 2)
    assert api.get(2).digest == listed
    api.retry(2, listed)  # the second retry, from the same listing
    assert [job["class"] for job in _queued(five, "b")] == ["Job2", "Job2"]


def test_the_digest_of_a_ruby_record_retried_by_ruby_ignores_its_stamp(fake_redis):
    ruby = (
        '{"failed_at":"2026/01/05 10:12:04 UTC","payload":{"class":"Archive","args":[7]},'
        '"exception":"E","error":"x","backtrace":[],"worker":"h:1:q","queue":"q"}'
    )
    fake_redis.rpush(keys.failed(), ruby[:-1] + ',"retried_at":"2026/01/05 11:00:00 UTC"}')
    assert api.get(0).digest == hashlib.sha1(ruby.encode()).hexdigest()
