"""kill -9 while a big due bucket is being moved: nothing lost, nothing doubled."""

import json
import signal
import time

from django_resque import keys

from .conftest import wait_until

COUNT = 30_000


def _fill_bucket(real_redis, stamp):
    pipe = real_redis.pipeline(transaction=False)
    for n in range(COUNT):
        item = json.dumps({"class": "Job", "args": [n], "queue": "big"}, separators=(",", ":"))
        pipe.rpush(keys.delayed(stamp), item)
        pipe.sadd(keys.timestamps(item), keys.delayed_bucket_name(stamp))
    pipe.zadd(keys.delayed_schedule(), {str(stamp): stamp})
    pipe.execute()


def _queued_args(real_redis):
    return [json.loads(raw)["args"][0] for raw in real_redis.lrange(keys.queue("big"), 0, -1)]


def _waiting_args(real_redis, stamp):
    return [json.loads(raw)["args"][0] for raw in real_redis.lrange(keys.delayed(stamp), 0, -1)]


def test_kill_9_mid_move_then_restart_moves_each_job_exactly_once(real_redis, start_scheduler):
    stamp = int(time.time()) - 5
    _fill_bucket(real_redis, stamp)
    process = start_scheduler()
    wait_until(lambda: real_redis.llen(keys.queue("big")) > 0, interval=0.002, message="the move to start")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    queued, waiting = _queued_args(real_redis), _waiting_args(real_redis, stamp)
    assert sorted(queued + waiting) == list(range(COUNT))  # neither lost nor doubled
    assert queued == list(range(len(queued)))  # moved in order, from the head
    if waiting:  # killed mid-bucket (the usual case): the rest is intact and still scheduled
        assert real_redis.zscore(keys.delayed_schedule(), str(stamp)) == stamp
        item = json.dumps({"class": "Job", "args": [waiting[0]], "queue": "big"}, separators=(",", ":"))
        assert real_redis.smembers(keys.timestamps(item)) == {keys.delayed_bucket_name(stamp).encode()}
    moved_item = json.dumps({"class": "Job", "args": [0], "queue": "big"}, separators=(",", ":"))
    assert not real_redis.exists(keys.timestamps(moved_item))

    start_scheduler()
    wait_until(lambda: not real_redis.exists(keys.delayed(stamp)), message="the restarted scheduler to finish")
    assert _queued_args(real_redis) == list(range(COUNT))
    assert real_redis.zcard(keys.delayed_schedule()) == 0
    assert real_redis.keys(keys.timestamps("*")) == []
