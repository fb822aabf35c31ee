import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_resque import conf, failure, keys
from django_resque.failure import api
from django_resque.failure.log import LoggingFailure
from django_resque.failure.multiple import MultipleFailure
from django_resque.failure.redis import RedisFailure

MULTI = "django_resque.failure.redis_multi_queue.RedisMultiQueueFailure"
LOG = "django_resque.failure.log.LoggingFailure"
REDIS = "django_resque.failure.redis.RedisFailure"


def _record(queue="mail", name="Send"):
    try:
        raise ValueError("bad")
    except ValueError as exc:
        return failure.from_exception(exc, {"class": name, "args": [1]}, "h:1:" + queue, queue)


@pytest.fixture
def backends_setting(settings):
    def use(*paths):
        settings.RESQUE = {**settings.RESQUE, "FAILURE_BACKENDS": list(paths)}

    return use


def test_default_is_the_single_redis_list(fake_redis):
    assert isinstance(failure.backend(), RedisFailure)
    failure.save(_record())
    assert fake_redis.llen(keys.failed()) == 1


def test_multi_queue_backend_keeps_a_list_per_queue_as_ruby(fake_redis, backends_setting):
    backends_setting(MULTI)
    failure.save(_record("mail"))
    failure.save(_record("mail"))
    failure.save(_record("low"))
    assert fake_redis.llen("resque:mail_failed") == 2
    assert fake_redis.smembers("resque:failed_queues") == {b"mail_failed", b"low_failed"}
    assert fake_redis.llen(keys.failed()) == 0
    backend = failure.backend()
    assert backend.count() == 3
    assert backend.count("low") == 1
    assert backend.all(0, 5, "mail")[0].queue == "mail"
    backend.clear("mail")
    assert fake_redis.smembers("resque:failed_queues") == {b"low_failed"}
    assert backend.count() == 1


def test_api_works_on_per_queue_lists(fake_redis, backends_setting):
    backends_setting(MULTI)
    failure.save(_record("mail", "A"))
    failure.save(_record("low", "B"))
    entries = api.page(0, 10)
    assert [(entry.queue_list, entry.index, entry.record.job_name) for entry in entries] == [
        ("low", 0, "B"),
        ("mail", 0, "A"),
    ]
    assert api.count(queue="mail") == 1
    api.retry(0, entries[1].digest, queue_list="mail")
    assert fake_redis.llen(keys.queue("mail")) == 1
    api.remove(0, entries[0].raw, queue_list="low")
    assert api.count() == 1
    assert api.retry_all(job="A") == 1


def test_logging_backend_logs_and_keeps_nothing(fake_redis, backends_setting, caplog):
    backends_setting(LOG)
    with caplog.at_level(logging.ERROR, logger="django_resque.failure.log"):
        failure.save(_record())
    assert "Job Send failed on queue mail" in caplog.text
    assert "ValueError: bad" in caplog.text
    assert fake_redis.keys("*") == []
    assert api.count() == 0
    assert api.page() == []
    with pytest.raises(api.FailureAPIError, match="keeps no records"):
        api.get(0)


def test_multiple_fans_out_and_the_first_answers(fake_redis, backends_setting, caplog):
    backends_setting(REDIS, LOG, MULTI)
    backend = failure.backend()
    assert isinstance(backend, MultipleFailure)
    with caplog.at_level(logging.ERROR):
        failure.save(_record("mail"))
    assert fake_redis.llen(keys.failed()) == 1
    assert fake_redis.llen(keys.failed("mail")) == 1
    assert "Job Send failed" in caplog.text
    assert backend.count() == 1
    assert backend.lists() == RedisFailure().lists()
    backend.clear()
    assert fake_redis.keys("*") == []


class Broken(LoggingFailure):
    def save(self, record):
        raise OSError("disk full")


def test_multiple_saves_to_all_even_if_one_fails(fake_redis, caplog):
    backend = MultipleFailure([Broken(), RedisFailure()])
    with pytest.raises(OSError, match="disk full"), caplog.at_level(logging.ERROR):
        backend.save(_record())
    assert fake_redis.llen(keys.failed()) == 1
    assert "could not save a failure of Send" in caplog.text


def test_a_bad_dotted_path_is_named(backends_setting):
    backends_setting("no.such.Backend")
    with pytest.raises(ImproperlyConfigured, match="'no.such.Backend'"):
        failure.backends()
    backends_setting("django_resque.failure.record.FailureRecord")
    with pytest.raises(ImproperlyConfigured, match="not a FailureBackend subclass"):
        failure.backends()


def test_backends_setting_shape_is_validated(backends_setting):
    backends_setting(REDIS, 42)
    with pytest.raises(ImproperlyConfigured, match="FAILURE_BACKENDS"):
        conf.get("FAILURE_BACKENDS")
