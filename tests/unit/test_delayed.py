"""The delayed-job API: Ruby's layout, counts, listing, finding, and removal by call (with or without an id)."""

import datetime as dt
import json

import pytest

import django_resque
from django_resque import delayed, keys
from django_resque.exceptions import MalformedPayloadError
from tests.support import jobs as support

T1, T2, T3 = 4102444800, 4102448400, 4102452000  # 2100-01-01 00:00, 01:00 and 02:00 UTC


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


def _items(fake_redis, epoch):
    return [json.loads(raw) for raw in fake_redis.lrange(keys.delayed(epoch), 0, -1)]


def _push_raw(fake_redis, epoch, raw):
    """As another program might store an item: its bytes, its timestamps entry, its schedule entry."""
    fake_redis.rpush(keys.delayed(epoch), raw)
    fake_redis.sadd(keys.timestamps("").encode() + raw, keys.delayed_bucket_name(epoch))
    fake_redis.zadd(keys.delayed_schedule(), {str(epoch): epoch})


def test_lookups_by_call_find_jobs_scheduled_here_which_carry_an_id(fake_redis):
    handles = [support.remember.enqueue_in(600, "x"), support.remember.enqueue_at(_at(T1), "x")]
    [later] = [stamp for stamp in delayed.timestamps() if stamp != T1]
    assert delayed.scheduled_at(support.remember, "x") == [later, T1]
    assert delayed.remove_delayed(support.remember, "x") == 2
    assert delayed.schedule_size() == 0
    assert fake_redis.keys("*delayed:*") == [] and fake_redis.keys("*timestamps:*") == []
    assert [django_resque.fetch(handle.id).status for handle in handles] == ["cancelled", "cancelled"]
    assert delayed.remove_delayed(support.remember, "x") == 0


def test_remove_from_one_timestamp_finds_a_job_with_an_id_there_only(fake_redis):
    at_t1 = support.remember.enqueue_at(_at(T1), "x")
    at_t2 = support.remember.enqueue_at(_at(T2), "x")
    assert delayed.remove_delayed_job_from_timestamp(T1, support.remember, "x") == 1
    assert [item["id"] for item in _items(fake_redis, T2)] == [at_t2.id]
    assert delayed.timestamps() == [T2]
    assert not fake_redis.exists(keys.delayed(T1))
    assert fake_redis.keys("*timestamps:*%s*" % at_t1.id) == []
    assert delayed.remove_delayed_job_from_timestamp(T1, support.remember, "x") == 0


def test_copies_with_and_without_an_id_at_several_times_are_all_found_and_removed(fake_redis):
    support.remember.enqueue_at(_at(T1), "x")
    _schedule_without_id(T1, support.remember, "x")
    support.remember.enqueue_at(_at(T2), "x")
    support.remember.enqueue_at(_at(T2), "x")
    _schedule_without_id(T3, support.remember, "x")
    support.remember.enqueue_at(_at(T3), "keep")
    assert delayed.scheduled_at(support.remember, "x") == [T1, T2, T3]
    assert delayed.remove_delayed(support.remember, "x") == 5
    assert delayed.timestamps() == [T3]
    assert [item["args"] for item in _items(fake_redis, T3)] == [["keep"]]
    [kept] = delayed.items_at(T3)
    assert {key.decode("utf-8") for key in fake_redis.keys("*timestamps:*")} == {keys.timestamps(kept.raw)}
    assert not fake_redis.exists(keys.delayed(T1)) and not fake_redis.exists(keys.delayed(T2))


def test_many_timestamps_are_walked_a_window_at_a_time(fake_redis, monkeypatch):
    monkeypatch.setattr(delayed, "WALK_WINDOW", 2)
    handles = [support.remember.enqueue_at(_at(T1 + offset), "x") for offset in range(5)]
    support.remember.enqueue_at(_at(T1 + 2), "y")
    assert delayed.scheduled_at(support.remember, "x") == [T1 + offset for offset in range(5)]
    assert delayed.remove_delayed(support.remember, "x") == len(handles)
    assert delayed.timestamps() == [T1 + 2]


def test_a_different_call_of_the_same_job_is_not_removed(fake_redis):
    support.add.enqueue_at(_at(T1), 1, 2, scale=3)
    support.add.enqueue_at(_at(T1), 1, 2)
    support.add.enqueue_at(_at(T1), 1, 2.0, scale=3)
    support.add.enqueue_at(_at(T1), True, 2, scale=3)
    support.remember.enqueue_at(_at(T1), [1, 2, {"scale": 3}])
    assert delayed.scheduled_at(support.add, 1, 2, scale=3) == [T1]
    assert delayed.remove_delayed(support.add, 1, 2, scale=3) == 1
    assert delayed.remove_delayed_job_from_timestamp(T1, support.add, 1, 2, scale=3) == 0
    assert [item["args"] for item in _items(fake_redis, T1)] == [
        [1, 2],
        [1, 2.0, {"scale": 3}],
        [True, 2, {"scale": 3}],
        [[1, 2, {"scale": 3}]],
    ]


def test_keyword_order_and_keyword_or_position_give_the_same_call(fake_redis):
    support.remember.enqueue_at(_at(T1), {"a": 1, "b": 2})
    support.sleepy.enqueue_at(_at(T1), 1.5, tag="t")
    assert delayed.remove_delayed(support.remember, {"b": 2, "a": 1}) == 1
    assert delayed.remove_delayed(support.sleepy, 1.5, "t") == 1
    assert delayed.schedule_size() == 0


def test_an_item_on_another_queue_is_not_this_call(fake_redis):
    elsewhere = b'{"class":"tests.support.jobs.remember","args":["x"],"id":"i1","queue":"elsewhere"}'
    _push_raw(fake_redis, T1, elsewhere)
    assert delayed.scheduled_at(support.remember, "x") == []
    assert delayed.remove_delayed(support.remember, "x") == 0
    assert fake_redis.lrange(keys.delayed(T1), 0, -1) == [elsewhere]


def test_old_keyword_payloads_and_escaped_names_are_found_by_their_decoded_call(fake_redis):
    flagged = b'{"class":"tests.support.jobs.add","args":[1,2,{"scale":3}],"kwargs":true,"queue":"test"}'
    escaped = b'{"class":"tests.support.jobs.\\u0061dd","args":[1,2,{"scale":3}],"id":"e1","queue":"test"}'
    _push_raw(fake_redis, T1, flagged)
    _push_raw(fake_redis, T2, escaped)
    assert delayed.scheduled_at(support.add, 1, 2, scale=3) == [T1, T2]
    assert delayed.remove_delayed(support.add, 1, 2, scale=3) == 2
    assert delayed.schedule_size() == 0 and fake_redis.keys("*timestamps:*") == []


def test_malformed_items_are_skipped_by_lookups_by_call(fake_redis):
    hostile = [
        b"not json",
        b"\xff\xfe tests.support.jobs.remember",
        b'{"class":"tests.support.jobs.remember","args":"x","id":"i1","queue":"test"}',
        b'{"class":"tests.support.jobs.remember","args":["x"],"id":"i2"}',
        b'{"class":"tests.support.jobs.remember","args":["x"],"id":"i3","queue":7}',
        b'["tests.support.jobs.remember",["x"]]',
        b"[" * 5000 + b"]" * 5000,
        b'{"class":"tests.support.jobs.remember","args":[NaN],"id":"i4","queue":"test"}',
    ]
    for raw in hostile:
        _push_raw(fake_redis, T1, raw)
    ours = support.remember.enqueue_at(_at(T1), "x")
    fake_redis.zadd(keys.delayed_schedule(), {"not-an-epoch": T1 + 1})
    assert delayed.scheduled_at(support.remember, "x") == [T1]
    assert delayed.remove_delayed(support.remember, "x") == 1
    assert fake_redis.lrange(keys.delayed(T1), 0, -1) == hostile
    assert delayed.remove_delayed_job_from_timestamp(T1, support.remember, "x") == 0
    assert fake_redis.keys("*timestamps:*%s*" % ours.id) == []


def test_scheduled_at_and_find():
    _schedule_without_id(T2, support.remember, "x")
    _schedule_without_id(T1, support.remember, "x")
    _schedule_without_id(T1, support.add, 1, 2)
    assert delayed.scheduled_at(support.remember, "x") == [T1, T2]
    assert delayed.scheduled_at(support.remember, "y") == []
    assert [(item.timestamp, item.payload.args) for item in delayed.find("tests.support.jobs.add")] == [(T1, [1, 2])]


def test_find_skips_a_bucket_another_program_made_no_list(fake_redis, caplog):
    fake_redis.zadd(keys.delayed_schedule(), {str(T1): T1})
    fake_redis.set(keys.delayed(T1), b"not a list")
    _schedule_without_id(T2, support.add, 1, 2)
    assert [(item.timestamp, item.payload.args) for item in delayed.find("tests.support.jobs.add")] == [(T2, [1, 2])]
    assert "not a list of delayed jobs" in caplog.text


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


def test_a_bucket_that_is_not_a_list_is_skipped_by_the_walk(fake_redis, caplog):
    fake_redis.set(keys.delayed(T1), "not a list")
    fake_redis.zadd(keys.delayed_schedule(), {str(T1): T1})
    support.remember.enqueue_at(_at(T2), "x")
    assert delayed.scheduled_at(support.remember, "x") == [T2]
    assert delayed.remove_delayed(support.remember, "x") == 1
    assert f"Skipped {keys.delayed(T1)}: not a list of delayed jobs" in caplog.text
    assert fake_redis.get(keys.delayed(T1)) == b"not a list"


def _lrange_sizes(fake_redis, monkeypatch):
    """The number of items each LRANGE outside a pipeline asks for (-1: to the end)."""
    sizes = []
    real = fake_redis.lrange

    def lrange(name, start, end):
        sizes.append(-1 if end == -1 else end - start + 1)
        return real(name, start, end)

    monkeypatch.setattr(fake_redis, "lrange", lrange)
    return sizes


def test_a_bucket_larger_than_a_page_is_read_a_page_at_a_time(fake_redis, monkeypatch):
    monkeypatch.setattr(delayed, "BUCKET_PAGE", 3)
    sizes = _lrange_sizes(fake_redis, monkeypatch)
    for n in range(7):
        _schedule_without_id(T1, support.remember, f"other {n}")
    last = support.remember.enqueue_at(_at(T1), "x")  # the 8th item: on the third page
    assert delayed.scheduled_at(support.remember, "x") == [T1]
    assert delayed.remove_delayed_job_from_timestamp(T1, support.remember, "x") == 1
    assert django_resque.fetch(last.id).status == "cancelled"
    again = support.remember.enqueue_at(_at(T1), "x")
    assert delayed.remove_delayed(support.remember, "x") == 1 and delayed.timestamp_size(T1) == 7
    assert django_resque.cancel(support.remember.enqueue_at(_at(T1), "y").id).status == "cancelled"
    assert delayed.timestamp_size(T1) == 7 and again.id not in fake_redis.lrange(keys.delayed(T1), 0, -1)[-1].decode()
    assert sizes and all(0 < size <= 3 for size in sizes[:-1])  # the last is the test's own


def test_cancel_of_a_scheduled_job_takes_only_the_item_that_has_its_id(fake_redis):
    wanted = support.remember.enqueue_at(_at(T1), "x")
    lookalike = support.remember.enqueue_at(_at(T1), {"id": wanted.id})  # the id's text in its arguments
    assert django_resque.cancel(wanted.id).status == "cancelled"
    assert [item["id"] for item in _items(fake_redis, T1)] == [lookalike.id]
