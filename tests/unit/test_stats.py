from django_resque import info, stats
from tests.support import jobs as support


def test_info_counts_like_ruby_resque(fake_redis):
    support.remember.delay(1)
    support.ClassJob.delay(2)
    fake_redis.set("resque:stat:processed", 5)
    fake_redis.set("resque:stat:failed", 1)
    fake_redis.sadd("resque:workers", "h:1:test", "h:2:*")
    fake_redis.set("resque:worker:h:1:test", "{}")
    fake_redis.rpush("resque:failed", "{}", "{}", "{}")
    assert info() == {
        "pending": 2,
        "processed": 5,
        "failed": 3,  # Ruby's meaning: what the failure backend holds now
        "failed_total": 1,  # the stat:failed counter
        "queues": 2,
        "workers": 2,
        "working": 1,
    }
    assert stats.get("processed") == 5
    assert stats.get("failed", "h:1:test") == 0


def test_snapshot_gives_each_queue_size_with_the_summary(fake_redis):
    support.remember.delay(1)
    support.remember.delay(2)
    support.ClassJob.delay(3)
    sizes, summary = stats.snapshot()
    assert sizes == {"classy": 1, "test": 2}
    assert summary == info()


def test_a_counter_that_is_not_an_integer_reads_as_zero_with_a_warning(fake_redis, caplog):
    fake_redis.set("resque:stat:processed", "lots")
    fake_redis.set("resque:stat:failed", "1.5")
    assert (stats.info()["processed"], stats.info()["failed_total"]) == (0, 0)
    assert "resque:stat:processed holds b'lots', not a counter" in caplog.text


def test_failed_is_the_backends_count_with_another_backend(fake_redis, settings):
    settings.RESQUE = {
        **settings.RESQUE,
        "FAILURE_BACKENDS": ["django_resque.failure.redis_multi_queue.RedisMultiQueueFailure"],
    }
    fake_redis.sadd("resque:failed_queues", "a_failed", "b_failed")
    fake_redis.rpush("resque:a_failed", "{}")
    fake_redis.rpush("resque:b_failed", "{}", "{}")
    fake_redis.set("resque:stat:failed", 9)
    assert (info()["failed"], info()["failed_total"]) == (3, 9)
