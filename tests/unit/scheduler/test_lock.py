"""The master lock: resque-scheduler's key and value, renewal, takeover, release."""

import os
import socket

from django_resque import keys
from django_resque.scheduler.lock import MasterLock, default_value, holder


def test_value_is_host_and_pid():
    assert default_value() == f"{socket.gethostname()}:{os.getpid()}"


def test_one_holder_renews_the_other_waits(fake_redis):
    first, second = MasterLock("a:1", timeout=30), MasterLock("b:2", timeout=30)
    assert first.hold() is True
    assert second.hold() is False
    assert fake_redis.get("resque:resque:resque_scheduler_master_lock") == b"a:1"
    fake_redis.expire(keys.scheduler_master_lock(), 5)
    assert first.hold() is True
    assert 25 < fake_redis.ttl(keys.scheduler_master_lock()) <= 30
    assert holder() == "a:1"


def test_takeover_after_expiry_and_release_only_our_own(fake_redis):
    first, second = MasterLock("a:1", timeout=30), MasterLock("b:2", timeout=30)
    first.hold()
    fake_redis.delete(keys.scheduler_master_lock())  # the TTL ran out: the holder died
    assert second.hold() is True
    assert first.hold() is False
    assert first.release() is False
    assert holder() == "b:2"
    assert second.release() is True
    assert holder() is None


def test_timeout_comes_from_settings(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULER_LOCK_TIMEOUT": 7}
    assert MasterLock("x:1").timeout == 7
    assert MasterLock("x:1", timeout=3).timeout == 3
