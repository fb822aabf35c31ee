import hashlib
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_resque import conf, keys, unique
from django_resque.enqueueing import enqueue_many
from django_resque.exceptions import ResqueConfigurationError
from django_resque.job import job
from tests.support import jobs as support


def _queued(fake_redis, queue="test"):
    """The queue's payloads without their ids."""
    found = [json.loads(raw) for raw in fake_redis.lrange(keys.queue(queue), 0, -1)]
    return [{key: value for key, value in payload.items() if key != "id"} for payload in found]


def test_a_second_enqueue_is_dropped_and_says_so(fake_redis, caplog):
    assert support.unique_note.delay(1).enqueued is True
    with caplog.at_level(logging.INFO, logger="django_resque.unique"):
        duplicate = support.unique_note.delay(1)
    assert (duplicate.enqueued, bool(duplicate), duplicate.status) == (False, False, "not enqueued")
    assert duplicate.reason == unique.DUPLICATE
    assert "Dropped enqueue of unique job tests.support.jobs.unique_note" in caplog.text
    assert support.unique_note.delay(2).enqueued is True
    assert [item["args"] for item in _queued(fake_redis)] == [[1], [2]]
    assert unique.is_locked(support.unique_note, 1)


def test_the_lock_has_a_ttl_and_the_payload_stays_class_and_args(fake_redis, settings):
    support.unique_by_user.delay(7, note="a")
    assert _queued(fake_redis) == [{"class": support.unique_by_user.name, "args": [7, "a"]}]
    lock = keys.unique_lock(hashlib.sha1(b'["tests.support.jobs.unique_by_user",7]').hexdigest())
    assert 29_000 < fake_redis.pttl(lock) <= 30_000
    support.unique_note.delay(1)
    # unique=True: sha1 of the JSON [class, args], which a Ruby hook can compute too
    lock = keys.unique_lock(hashlib.sha1(b'["tests.support.jobs.unique_note",[1]]').hexdigest())
    assert 3_599_000 < fake_redis.pttl(lock) <= 3_600_000


def test_a_key_function_decides_what_counts_as_the_same_job(fake_redis):
    assert support.unique_by_user.delay(7, note="a").enqueued is True
    assert support.unique_by_user.delay(7, "b").enqueued is False  # called by name however the call was made
    assert support.unique_by_user.delay(8, note="a").enqueued is True


def test_release_by_class_and_args_alone_as_after_a_ruby_hop(fake_redis):
    support.unique_note.delay(1)
    rebuilt = {"class": support.unique_note.name, "args": [1]}  # what Ruby's scheduler or resque-web push
    assert support.unique_note.delay(1).enqueued is False
    unique.release(support.unique_note, rebuilt)
    assert support.unique_note.delay(1).enqueued is True


def test_an_older_versions_payload_releases_by_its_token(fake_redis, caplog):
    fake_redis.set(keys.unique_lock("a" * 40), "b" * 32)
    unique.release(None, {"class": "X", "unique": {"lock": "a" * 40, "token": "c" * 32}})
    assert fake_redis.exists(keys.unique_lock("a" * 40))
    unique.release(None, {"class": "X", "unique": {"lock": "a" * 40, "token": "b" * 32}})
    assert not fake_redis.exists(keys.unique_lock("a" * 40))
    with caplog.at_level(logging.WARNING):
        unique.release(None, {"class": "X", "unique": {"lock": "../../etc", "token": "x"}})
    unique.release(None, {"class": "X", "args": []})
    assert "malformed unique marker" in caplog.text


def test_delayed_unique_jobs_hold_the_lock_while_waiting(fake_redis):
    assert support.unique_note.enqueue_in(600, 5).enqueued is True
    assert support.unique_note.delay(5).enqueued is False
    assert support.unique_note.enqueue_in(600, 5).enqueued is False
    lock = keys.unique_lock(unique.identity(support.unique_note, support.unique_note.payload(5)))
    assert fake_redis.pttl(lock) > 600_000 + 3_500_000
    assert fake_redis.zcard(keys.delayed_schedule()) == 1


def test_enqueue_many_locks_unique_jobs_one_by_one(fake_redis):
    handles = enqueue_many([(support.unique_note, (1,)), (support.unique_note, (1,)), (support.remember, (1,))])
    assert [handle.enqueued for handle in handles] == [True, False, True]
    assert len(_queued(fake_redis)) == 2


def test_eager_mode_runs_without_locking(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    assert support.unique_note.delay(1).enqueued is True
    assert support.unique_note.delay(1).enqueued is True
    assert fake_redis.keys("resque:django_resque:unique:*") == []


def test_bad_unique_options_are_refused():
    with pytest.raises(ResqueConfigurationError, match="unique must be"):
        job(name="bad_unique", unique="yes")(lambda: None)
    with pytest.raises(ResqueConfigurationError, match="unique_ttl must be"):
        job(name="bad_unique_ttl", unique=True, unique_ttl=0)(lambda: None)


def test_class_jobs_declare_unique_as_an_attribute(fake_redis):
    assert support.RetryingClassJob.delay(1).enqueued is True
    assert support.RetryingClassJob.delay(1).enqueued is False


def test_the_ttl_setting_is_validated(settings):
    settings.RESQUE = {**settings.RESQUE, "UNIQUE_LOCK_TTL": 0}
    with pytest.raises(ImproperlyConfigured, match="UNIQUE_LOCK_TTL"):
        conf.get("UNIQUE_LOCK_TTL")
