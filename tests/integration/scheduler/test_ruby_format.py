"""On a real Redis server, the scheduler's keys and values are resque-scheduler's, byte for byte."""

import datetime as dt
import os
import socket

from django_resque import delayed
from django_resque.scheduler import dynamic, mover
from django_resque.scheduler.lock import MasterLock
from tests.support import jobs as support


def test_delayed_item_timestamps_and_move_as_resque_scheduler(real_redis):
    handle = support.ruby_named.enqueue_at(dt.datetime.fromtimestamp(4102444800, dt.UTC), 0, "text-0", {"k": 0})
    job_id = handle.id.encode()
    item = b'{"class":"RubyNamed","args":[0,"text-0",{"k":0}],"id":"%s","queue":"test"}' % job_id
    assert real_redis.lrange("resque:delayed:4102444800", 0, -1) == [item]
    assert real_redis.smembers(b"resque:timestamps:" + item) == {b"delayed:4102444800"}
    assert real_redis.zrange("resque:delayed_queue_schedule", 0, -1, withscores=True) == [(b"4102444800", 4102444800.0)]
    assert mover.enqueue_due(4102444800) == 1
    moved = b'{"class":"RubyNamed","args":[0,"text-0",{"k":0}],"id":"%s"}' % job_id
    assert real_redis.lrange("resque:queue:test", 0, -1) == [moved]
    assert real_redis.smembers("resque:queues") == {b"test"}
    assert real_redis.keys("resque:delayed*") == [] and real_redis.keys("resque:timestamps:*") == []


def test_a_ruby_written_delayed_item_is_removed_by_exact_bytes(real_redis):
    item = '{"class":"RubyNamed","args":[7],"queue":"test"}'
    real_redis.rpush("resque:delayed:4102444800", item)
    real_redis.sadd("resque:timestamps:" + item, "delayed:4102444800")
    real_redis.zadd("resque:delayed_queue_schedule", {"4102444800": 4102444800})
    assert delayed.remove_delayed(support.ruby_named, 7) == 1
    assert real_redis.keys("resque:*") == []


def test_master_lock_key_value_and_ttl(real_redis):
    lock = MasterLock(timeout=180)
    assert lock.hold()
    assert (
        real_redis.get("resque:resque:resque_scheduler_master_lock") == f"{socket.gethostname()}:{os.getpid()}".encode()
    )
    assert 170 < real_redis.ttl("resque:resque:resque_scheduler_master_lock") <= 180
    lock.release()
    assert not real_redis.exists("resque:resque:resque_scheduler_master_lock")


def test_dynamic_schedule_as_resque_scheduler_stores_it(real_redis):
    dynamic.set_schedule("hourly", {"cron": "0 * * * *", "class": "RubyNamed", "args": ["x"], "description": "d"})
    assert real_redis.hgetall("resque:persistent_schedules") == {
        b"hourly": b'{"cron":"0 * * * *","class":"RubyNamed","args":["x"],"description":"d"}'
    }
    assert real_redis.smembers("resque:schedules_changed") == {b"hourly"}
