"""The delayed-job API: Ruby's layout, counts, listing, finding and removal by exact bytes."""

import datetime as dt

import pytest

from django_resque import delayed, keys
from django_resque.exceptions import MalformedPayloadError
from tests.support import jobs as support

T1, T2 = 4102444800, 4102448400  # 2100-01-01 00:00 and 01:00 UTC


def _at(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _schedule_without_id(epoch, job, *args):
    """As Ruby's resque-scheduler (or any client) schedules: an item without an id."""
    delayed.schedule(epoch, job.queue, job.payload(*args))


def test_enqueue_at_stores_the_item_exactly_as_resque_scheduler_with_the_id(fake_redis):
    handle = support.remember.enqueue_at(_at(T1), {"k": "é"})
    item = '{"class":"tests.support.jobs.remember","args":[{"k":"é"}],"id":"%s","queue":"test"}' % handle.id
    assert fake_redis.lrange(keys.delayed(T1), 0, -1) == [item.encode()]
    assert fake_redis.smembers(keys.timestamps(item)) == {b"delayed:4102444800"}
    assert fake_redis.zrange(keys.delayed_schedule(), 0, -1, withscores=True) == [(b"4102444800", float(T1))]


def test_keyword_arguments_keep_queue_as_the_last_key():
    support.add.enqueue_at(_at(T1), 1, 2, scale=3)
    [item] = delayed.items_at(T1)
    assert item.raw.endswith(',{"scale":3}],"id":"%s","queue":"test"}' % item.payload.id)
    assert support.add.call_arguments(item.payload) == ([1, 2], {"scale": 3})


def test_counts_and_listing():
    support.remember.enqueue_at(_at(T2), "b")
    support.remember.enqueue_at(_at(T1), "a1")
    support.remember.enqueue_at(_at(T1), "a2")
    assert delayed.schedule_size() == 2
    assert delayed.count_all() == 3
    assert delayed.timestamps() == [T1, T2]
    assert delayed.timestamps(1, 1) == [T2]
    assert delayed.timestamp_size(T1) == 2
    assert [item.payload.args for item in delayed.items_at(T1, 1, 1)] == [["a2"]]
    assert delayed.items_at(T1, 0, 0) == []


def test_malformed_items_are_listed_not_raised(fake_redis):
    fake_redis.rpush(keys.delayed(T1), b"not json", b'{"class":"X","args":[]}')
    fake_redis.zadd(keys.delayed_schedule(), {str(T1): T1})
    items = delayed.items_at(T1)
    assert [(item.raw, item.payload, item.queue) for item in items] == [
        ("not json", None, None),
        ('{"class":"X","args":[]}', None, None),
    ]


def test_exact_call_lookups_see_items_without_an_id_only():
    """Items are matched by their exact bytes (as Ruby does); ours carry an id, so cancel(id) removes them."""
    support.remember.enqueue_at(_at(T1), "x")
    assert delayed.scheduled_at(support.remember, "x") == []
    assert delayed.remove_delayed(support.remember, "x") == 0


def test_scheduled_at_and_find():
    _schedule_without_id(T2, support.remember, "x")
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T1, support.add, 1, 2)
    assert delayed.scheduled_at(support.remember, "x") == [T1, T2]
    assert delayed.scheduled_at(support.remember, "y") == []
    assert [(item.timestamp, item.payload.args) for item in delayed.find("tests.support.jobs.add")] == [(T1, [1, 2])]


def test_remove_delayed_removes_every_copy_and_cleans_up(fake_redis):
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T2, support.remember, "x")
    _schedule_without_id(T2, support.remember, "keep")
    assert delayed.remove_delayed(support.remember, "x") == 3
    assert delayed.timestamps() == [T2]
    assert [item.payload.args for item in delayed.items_at(T2)] == [["keep"]]
    assert not fake_redis.exists(keys.delayed(T1))
    assert not fake_redis.exists(keys.timestamps(delayed.items_at(T2)[0].raw.replace("keep", "x")))
    assert delayed.remove_delayed(support.remember, "x") == 0


def test_remove_from_one_timestamp_keeps_the_other(fake_redis):
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T2, support.remember, "x")
    assert delayed.remove_delayed_job_from_timestamp(T1, support.remember, "x") == 1
    assert delayed.scheduled_at(support.remember, "x") == [T2]
    assert delayed.timestamps() == [T2]


def test_remove_one_copy_keeps_the_timestamps_entry_while_copies_remain():
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T1, support.remember, "x")
    [first, _] = delayed.items_at(T1)
    assert delayed.remove_item(first.raw, [T1], copies=1) == 1
    assert delayed.scheduled_at(support.remember, "x") == [T1]
    assert delayed.remove_item(first.raw, [T1], copies=1) == 1
    assert delayed.scheduled_at(support.remember, "x") == []
    assert delayed.schedule_size() == 0


def test_enqueue_now_moves_one_item_without_its_queue_key(fake_redis):
    support.remember.enqueue_at(_at(T1), "a")
    support.remember.enqueue_at(_at(T1), "b")
    second = delayed.items_at(T1)[1]
    assert delayed.enqueue_now(T1, second.raw) is True
    assert fake_redis.lrange(keys.queue("test"), 0, -1) == [
        b'{"class":"tests.support.jobs.remember","args":["b"],"id":"%s"}' % second.payload.id.encode()
    ]
    assert fake_redis.smembers(keys.queues()) == {b"test"}
    assert [item.payload.args for item in delayed.items_at(T1)] == [["a"]]
    assert delayed.enqueue_now(T1, second.raw) is False  # already gone: nothing doubled


def test_enqueue_now_refuses_a_malformed_item():
    with pytest.raises(MalformedPayloadError):
        delayed.enqueue_now(T1, "not json")


def test_past_time_is_enqueued_at_once(fake_redis):
    support.remember.enqueue_at(_at(1000), "late")
    assert delayed.schedule_size() == 0
    assert fake_redis.llen(keys.queue("test")) == 1
