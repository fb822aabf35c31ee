import pytest
from django.core.exceptions import ImproperlyConfigured

from django_resque import conf


def test_defaults_are_merged_with_the_resque_dict(settings):
    settings.RESQUE = {"REDIS_URL": "redis://h:1/2"}
    assert conf.get("NAMESPACE") == "resque"
    assert conf.get("REDIS_URL") == "redis://h:1/2"


def test_settings_are_reread_after_override(settings):
    settings.RESQUE = {"REDIS_URL": "redis://a/0"}
    assert conf.get("REDIS_URL") == "redis://a/0"
    settings.RESQUE = {"REDIS_URL": "redis://b/0"}
    assert conf.get("REDIS_URL") == "redis://b/0"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, r"RESQUE\['REDIS_URL'\]"),
        ({"REDIS_URL": "redis://x", "CONNECTION": "default"}, "only one"),
        ({"REDIS_URL": "http://x"}, "must start with one of redis://"),
        ({"REDIS_URL": "redis+cluster://a:7000"}, "hash tag"),
        ({"REDIS_URL": "redis://x", "NAMESPACE": "a:b"}, "NAMESPACE"),
        ({"REDIS_URL": "redis://x", "HEARTBEAT_INTERVAL": 0}, "HEARTBEAT_INTERVAL"),
        ({"REDIS_URL": "redis://x", "JOB_TIMEOUT": -1}, "JOB_TIMEOUT"),
        ({"REDIS_URL": "redis://x", "SCHEDULE": []}, "SCHEDULE"),
        ({"REDIS_URL": "redis://x", "REDIS_OPTIONS": {"decode_responses": True}}, "decode_responses"),
        ({"REDIS_URL": "redis://x", "FAILURE_BACKENDS": []}, "FAILURE_BACKENDS"),
        ({"REDIS_URL": "redis://x", "REDIS_ULR": "typo"}, "REDIS_ULR"),
        ("redis://x", "must be a dict"),
    ],
)
def test_bad_settings_raise_improperly_configured_naming_the_key(settings, value, message):
    settings.RESQUE = value
    with pytest.raises(ImproperlyConfigured, match=message):
        conf.resque_settings()


def test_dirty_exit_must_be_fail_or_requeue(settings):
    settings.RESQUE = {**settings.RESQUE, "DIRTY_EXIT": "drop"}
    with pytest.raises(ImproperlyConfigured, match="DIRTY_EXIT"):
        conf.resque_settings()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"SCHEDULE": {"nightly": "30 2 * * *"}}, r"RESQUE\['SCHEDULE'\] maps names to dicts.*'nightly'"),
        ({"SCHEDULE": {"": {"every": "1m"}}}, r"RESQUE\['SCHEDULE'\] maps names"),
        ({"SCHEDULER_LOCK_TIMEOUT": 0}, "SCHEDULER_LOCK_TIMEOUT"),
        ({"SCHEDULER_LOCK_TIMEOUT": 2.5}, "SCHEDULER_LOCK_TIMEOUT"),
    ],
)
def test_bad_scheduler_settings_name_the_key(settings, value, message):
    settings.RESQUE = {"REDIS_URL": "redis://x", **value}
    with pytest.raises(ImproperlyConfigured, match=message):
        conf.resque_settings()
