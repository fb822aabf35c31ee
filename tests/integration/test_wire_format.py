"""On a real Redis server, what we write is byte for byte what Ruby Resque writes."""

import datetime as dt

import django_resque
from tests.support import jobs as support


def test_enqueue_writes_ruby_resque_keys_and_bytes(real_redis):
    handle = django_resque.enqueue_to("wire_q", "PyMade", 0, "text-0", {"k": 0})
    assert real_redis.smembers("resque:queues") == {b"wire_q"}
    assert real_redis.type("resque:queue:wire_q") == b"list"
    assert real_redis.lrange("resque:queue:wire_q", 0, -1) == [
        b'{"class":"PyMade","args":[0,"text-0",{"k":0}],"id":"%s"}' % handle.id.encode()
    ]


def test_unicode_and_floats_as_ruby(real_redis):
    handle = django_resque.enqueue_to("wire_q", "PyMade", "héllo ☃", "a/b", 1.0, None, True, {"nested": [1, 2]})
    raw = real_redis.lpop("resque:queue:wire_q").decode()
    assert raw == '{"class":"PyMade","args":["héllo ☃","a/b",1.0,null,true,{"nested":[1,2]}],"id":"%s"}' % handle.id


def test_delayed_item_as_resque_scheduler(real_redis):
    when = dt.datetime.fromtimestamp(4102444800, tz=dt.UTC)  # 2100-01-01
    handle = support.ruby_named.enqueue_at(when, 0, "text-0", {"k": 0})
    item = b'{"class":"RubyNamed","args":[0,"text-0",{"k":0}],"id":"%s","queue":"test"}' % handle.id.encode()
    assert real_redis.lrange("resque:delayed:4102444800", 0, -1) == [item]
    assert real_redis.smembers(b"resque:timestamps:" + item) == {b"delayed:4102444800"}
    assert real_redis.zrange("resque:delayed_queue_schedule", 0, -1, withscores=True) == [(b"4102444800", 4102444800.0)]


def test_bulk_enqueue_on_a_real_server(real_redis):
    assert len(support.remember.delay_many([(n,) for n in range(1000)])) == 1000
    assert django_resque.size("test") == 1000
    assert django_resque.info()["pending"] == 1000
