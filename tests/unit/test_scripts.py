from django_resque import scripts


def test_push_script_registers_the_queue_and_appends_every_value(fake_redis):
    length = scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "a", "b"])
    assert length == 2
    assert fake_redis.smembers("resque:queues") == {b"q"}
    assert fake_redis.lrange("resque:queue:q", 0, -1) == [b"a", b"b"]


def test_push_script_still_works_after_the_server_forgot_it(fake_redis):
    scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "a"])
    fake_redis.script_flush()
    scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "b"])
    assert fake_redis.lrange("resque:queue:q", 0, -1) == [b"a", b"b"]
