"""Moving due delayed jobs: exactly Ruby's result, batches, malformed items, races."""

import json

from django_resque import delayed, keys
from django_resque.failure.redis import RedisFailure
from django_resque.payload import build
from django_resque.scheduler import mover

NOW = 2_000_000_000


def _schedule(epoch, *args, queue="q", name="Job"):
    delayed.schedule(epoch, queue, build(name, list(args)))


def test_due_items_move_in_order_with_the_queue_key_dropped(fake_redis):
    _schedule(NOW - 10, 1)
    _schedule(NOW - 10, 2, queue="other")
    _schedule(NOW - 5, 3)
    _schedule(NOW + 1, 4)
    assert mover.enqueue_due(NOW) == 3
    assert fake_redis.lrange(keys.queue("q"), 0, -1) == [b'{"class":"Job","args":[1]}', b'{"class":"Job","args":[3]}']
    assert fake_redis.lrange(keys.queue("other"), 0, -1) == [b'{"class":"Job","args":[2]}']
    assert fake_redis.smembers(keys.queues()) == {b"q", b"other"}
    assert delayed.timestamps(0, -1) == [NOW + 1]
    assert not fake_redis.exists(keys.delayed(NOW - 10))
    assert not fake_redis.exists(keys.timestamps('{"class":"Job","args":[1],"queue":"q"}'))


def test_a_big_bucket_moves_in_batches_and_entirely(fake_redis):
    count = delayed.MOVE_BATCH * 3 + 7
    pipe = fake_redis.pipeline()
    for n in range(count):
        pipe.rpush(keys.delayed(NOW), json.dumps({"class": "Job", "args": [n], "queue": "q"}, separators=(",", ":")))
    pipe.zadd(keys.delayed_schedule(), {str(NOW): NOW})
    pipe.execute()
    assert mover.enqueue_due(NOW) == count
    assert [json.loads(raw)["args"][0] for raw in fake_redis.lrange(keys.queue("q"), 0, -1)] == list(range(count))
    assert delayed.schedule_size() == 0


def test_an_item_removed_meanwhile_is_not_moved(fake_redis, monkeypatch):
    _schedule(NOW - 1, 1)
    _schedule(NOW - 1, 2)
    real_items_at = delayed.items_at

    def items_then_race(stamp, start=0, count=50):
        items = real_items_at(stamp, start, count)
        fake_redis.lpop(keys.delayed(stamp))  # another scheduler took the head in between
        return items

    monkeypatch.setattr(delayed, "items_at", items_then_race)
    assert mover.move_timestamp(NOW - 1) == 0
    assert fake_redis.llen(keys.queue("q")) == 0


def test_an_empty_bucket_left_in_the_schedule_is_cleaned_up(fake_redis):
    fake_redis.zadd(keys.delayed_schedule(), {str(NOW - 3): NOW - 3})  # as Ruby's remove_delayed leaves it
    _schedule(NOW - 1, 1)
    assert mover.enqueue_due(NOW) == 1
    assert delayed.schedule_size() == 0


def test_a_malformed_item_goes_to_the_failed_list_and_the_rest_move(fake_redis):
    fake_redis.rpush(keys.delayed(NOW - 1), b'{"class":"Job","args":[0],"queue":"q"}', b"garbage")
    fake_redis.rpush(keys.delayed(NOW - 1), b'{"class":"Job","args":[1]}', b'{"class":"Job","args":[2],"queue":"q"}')
    fake_redis.zadd(keys.delayed_schedule(), {str(NOW - 1): NOW - 1})
    assert mover.enqueue_due(NOW, actor="vm:1:resque_scheduler") == 2
    assert fake_redis.llen(keys.queue("q")) == 2
    records = RedisFailure().all(0, 10)
    assert [(r.exception, r.queue, r.worker) for r in records] == [
        ("MalformedPayloadError", "delayed", "vm:1:resque_scheduler"),
        ("MalformedPayloadError", "delayed", "vm:1:resque_scheduler"),
    ]
    assert records[0].payload == {"raw": "garbage"}
    assert records[1].payload == {"class": "Job", "args": [1]}
    assert delayed.schedule_size() == 0


def test_limit_bounds_one_call():
    for n in range(3):
        _schedule(NOW - 10 + n, n)
    assert mover.enqueue_due(NOW, limit=1) == 1
    assert delayed.schedule_size() == 2


def test_duplicate_copies_keep_their_timestamps_entry_until_the_last_moves(fake_redis):
    _schedule(NOW - 1, "x")
    _schedule(NOW - 1, "y")
    _schedule(NOW - 1, "x")
    first_x, y, second_x = delayed.items_at(NOW - 1)
    fake_redis.lset(keys.delayed(NOW - 1), 1, y.raw.replace("y", "z"))  # changed meanwhile: the batch stops there
    assert mover._move_batch(NOW - 1, [first_x, y, second_x]) == 1
    assert fake_redis.smembers(keys.timestamps(second_x.raw)) == {b"delayed:1999999999"}  # the copy still waits
    assert mover.move_timestamp(NOW - 1) == 2
    assert not fake_redis.exists(keys.timestamps(second_x.raw))
    assert delayed.schedule_size() == 0


def test_a_too_deep_or_invalid_utf8_item_is_set_aside_and_the_rest_move(fake_redis):
    deep = b'{"class":"Job","args":' + b"[" * 990 + b"]" * 990 + b',"queue":"q"}'
    fake_redis.rpush(keys.delayed(NOW - 1), deep, b'{"class":"J\xff","args":[],"queue":"q"}')
    fake_redis.rpush(keys.delayed(NOW - 1), b'{"class":"Job","args":[2],"queue":"q"}')
    fake_redis.zadd(keys.delayed_schedule(), {str(NOW - 1): NOW - 1})
    assert mover.enqueue_due(NOW) == 1
    records = RedisFailure().all(0, 10)
    assert [r.exception for r in records] == ["MalformedPayloadError", "MalformedPayloadError"]
    assert records[0].payload["raw"].startswith('{"class":"Job","args":[[[')
    assert records[1].payload == {"raw": '{"class":"J\ufffd","args":[],"queue":"q"}'}
    assert delayed.schedule_size() == 0


def test_a_schedule_member_that_is_not_an_epoch_is_removed_and_due_jobs_still_move(fake_redis, caplog):
    fake_redis.zadd(keys.delayed_schedule(), {"not-a-number": NOW - 5, b"\xff": NOW - 4})
    _schedule(NOW - 1, "x")
    assert mover.enqueue_due(NOW) == 1
    assert fake_redis.zcard(keys.delayed_schedule()) == 0
    assert "Removed b'not-a-number' from resque:delayed_queue_schedule" in caplog.text
