import datetime as dt
import json

import pytest
from django.db import transaction

import django_resque
from django_resque import keys, registry
from django_resque.exceptions import DuplicateJobError, JobArgumentError, ResqueConfigurationError, UnknownJobError
from django_resque.job import job
from tests.support import jobs as support


def _queued(fake_redis, queue):
    """The queue's payloads without their ids (each must have one)."""
    found = [json.loads(raw) for raw in fake_redis.lrange(keys.queue(queue), 0, -1)]
    assert all(len(payload.pop("id")) == 32 for payload in found)
    return found


def test_delay_pushes_a_ruby_payload_with_its_id_and_registers_the_queue(fake_redis):
    handle = support.remember.delay({"k": 1})
    assert fake_redis.lrange("resque:queue:test", 0, -1) == [
        b'{"class":"tests.support.jobs.remember","args":[{"k":1}],"id":"%s"}' % handle.id.encode()
    ]
    assert fake_redis.smembers("resque:queues") == {b"test"}
    assert (handle.status, handle.name, handle.queue, handle.enqueued) == (
        "queued",
        support.remember.name,
        "test",
        True,
    )


def test_calling_the_job_runs_it_in_process(fake_redis):
    assert support.add(2, 3, scale=2) == 10
    assert fake_redis.llen(keys.queue("test")) == 0


def test_name_can_be_set_for_ruby_named_jobs(fake_redis):
    support.ruby_named.delay(1)
    assert _queued(fake_redis, "test") == [{"class": "RubyNamed", "args": [1]}]
    assert registry.lookup("RubyNamed") is support.ruby_named


def test_class_jobs_take_queue_and_perform_from_the_class(fake_redis):
    support.ClassJob.delay("v")
    assert _queued(fake_redis, "classy") == [{"class": "tests.support.jobs.ClassJob", "args": ["v"]}]
    assert registry.lookup("tests.support.jobs.ClassJob").target is support.ClassJob


def test_enqueue_to_and_module_api(fake_redis):
    support.remember.enqueue_to("other", 1)
    django_resque.enqueue(support.remember, 2)
    django_resque.enqueue_to("ruby_q", "Archive", 7, "master")
    assert _queued(fake_redis, "other") == [{"class": "tests.support.jobs.remember", "args": [1]}]
    assert django_resque.size("test") == 1
    assert _queued(fake_redis, "ruby_q") == [{"class": "Archive", "args": [7, "master"]}]
    assert django_resque.queues() == ["other", "ruby_q", "test"]


def test_non_json_argument_is_refused_before_anything_is_written(fake_redis):
    with pytest.raises(JobArgumentError, match="argument 0 is a datetime"):
        support.remember.delay(dt.datetime.now())
    assert fake_redis.keys("*") == []


def test_enqueue_many_is_one_round_trip(fake_redis):
    handles = django_resque.enqueue_many([(support.remember, (1,)), (support.add, (1, 2), {"scale": 3})])
    handles += support.remember.delay_many([(2,), (3,)])
    assert [p["args"] for p in _queued(fake_redis, "test")] == [[1], [1, 2, {"scale": 3}], [2], [3]]
    stored = [json.loads(raw)["id"] for raw in fake_redis.lrange(keys.queue("test"), 0, -1)]
    assert [handle.id for handle in handles] == stored and len(set(stored)) == 4


def test_enqueue_many_takes_lists_and_any_iterable_of_arguments(fake_redis):
    assert len(django_resque.enqueue_many([[support.remember, [1]], (support.add, iter((1, 2)), {"scale": 3})])) == 2
    assert [p["args"] for p in _queued(fake_redis, "test")] == [[1], [1, 2, {"scale": 3}]]


def test_enqueue_many_under_always_eager_checks_every_item_then_performs_each(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    with pytest.raises(JobArgumentError):
        django_resque.enqueue_many([(support.add, (1, 2)), (support.add, ({1},))])
    assert fake_redis.llen(support.DONE_KEY) == 0
    handles = django_resque.enqueue_many([(support.add, (1, 2)), (support.add, (3, 4), {"scale": 2})])
    assert [(handle.status, handle.result) for handle in handles] == [("finished", 3), ("finished", 14)]
    assert [json.loads(raw) for raw in fake_redis.lrange(support.DONE_KEY, 0, -1)] == [{"sum": 3}, {"sum": 14}]
    assert fake_redis.llen(keys.queue("test")) == 0


def test_enqueue_many_refuses_a_bad_item_without_writing_any(fake_redis):
    with pytest.raises(JobArgumentError):
        django_resque.enqueue_many([(support.remember, (1,)), (support.remember, ({1, 2},))])
    assert fake_redis.llen(keys.queue("test")) == 0


@pytest.mark.django_db(transaction=True)
def test_on_commit_waits_for_the_transaction(fake_redis):
    with transaction.atomic():
        support.remember.on_commit(1)
        assert fake_redis.llen(keys.queue("test")) == 0
    assert fake_redis.llen(keys.queue("test")) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        support.remember.on_commit(2)
        raise RuntimeError("rollback")
    assert fake_redis.llen(keys.queue("test")) == 1


@pytest.mark.django_db(transaction=True)
def test_on_commit_refuses_bad_arguments_at_the_call_site(fake_redis):
    with pytest.raises(JobArgumentError), transaction.atomic():
        support.remember.on_commit(object())


@pytest.mark.django_db(transaction=True)
def test_job_declared_on_commit_defers_delay(fake_redis):
    @job(queue="later", on_commit=True, name="test.deferred")
    def deferred(x):
        return x

    try:
        with transaction.atomic():
            deferred.delay(1)
            assert fake_redis.llen(keys.queue("later")) == 0
        assert fake_redis.llen(keys.queue("later")) == 1
    finally:
        registry.unregister("test.deferred")


def test_always_eager_runs_inline_through_json(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    support.add.delay(1, 2, scale=5)
    assert json.loads(fake_redis.lpop(support.DONE_KEY)) == {"sum": 15}
    assert fake_redis.llen(keys.queue("test")) == 0
    with pytest.raises(JobArgumentError):
        support.add.delay(1, {2})


def test_dequeue_removes_matching_jobs_by_decoded_value(fake_redis):
    support.remember.delay(1)
    support.remember.delay(2)
    fake_redis.rpush(keys.queue("test"), '{"class": "tests.support.jobs.remember", "args": [1]}')
    assert django_resque.dequeue(support.remember, 1) == 2
    assert [p["args"] for p in _queued(fake_redis, "test")] == [[2]]
    assert django_resque.dequeue(support.remember) == 1


def test_dequeue_leaves_a_different_call_alone(fake_redis):
    support.add.delay(1, 2)
    support.add.delay(True, 2)
    support.add.delay(1, 2.0)
    support.add.delay(1, 2, scale=3)
    assert django_resque.dequeue(support.add, 1, 2) == 1
    assert [p["args"] for p in _queued(fake_redis, "test")] == [[True, 2], [1, 2.0], [1, 2, {"scale": 3}]]
    assert django_resque.dequeue(support.add, 1, 2, {"scale": 3}) == 1
    with pytest.raises(JobArgumentError):
        django_resque.dequeue(support.add, {1})


def test_unknown_name_lookup_is_refused():
    with pytest.raises(UnknownJobError, match="'os.system'"):
        registry.lookup("os.system")


def test_duplicate_names_are_refused():
    def one():
        pass

    def two():
        pass

    job(name="test.dup")(one)
    try:
        with pytest.raises(DuplicateJobError, match="test.dup"):
            job(name="test.dup")(two)
    finally:
        registry.unregister("test.dup")


def test_bad_definitions_are_configuration_errors():
    with pytest.raises(ResqueConfigurationError, match="perform"):
        job(type("NoPerform", (), {}))
    with pytest.raises(ResqueConfigurationError, match="timeout"):
        job(timeout=-1)(lambda: None)


def test_enqueue_in_stores_a_resque_scheduler_delayed_item(fake_redis):
    handle = support.remember.enqueue_in(dt.timedelta(seconds=300), 0)
    (epoch,) = [int(m) for m in fake_redis.zrange(keys.delayed_schedule(), 0, -1)]
    item = '{"class":"tests.support.jobs.remember","args":[0],"id":"%s","queue":"test"}' % handle.id
    assert (handle.status, int(handle.run_at.timestamp())) == ("scheduled", epoch)
    assert fake_redis.lrange(keys.delayed(epoch), 0, -1) == [item.encode()]
    assert fake_redis.smembers(keys.timestamps(item)) == {f"delayed:{epoch}".encode()}


def test_enqueue_at_a_past_time_enqueues_now(fake_redis):
    support.remember.enqueue_at(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), 1)
    assert fake_redis.llen(keys.queue("test")) == 1
    assert fake_redis.zcard(keys.delayed_schedule()) == 0


def test_a_failing_job_enqueued_receiver_is_logged_not_raised(fake_redis, caplog):
    from django_resque.signals import job_enqueued

    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    job_enqueued.connect(broken)
    try:
        assert support.remember.delay(1).status == "queued"
    finally:
        job_enqueued.disconnect(broken)
    assert fake_redis.llen(keys.queue("test")) == 1
    assert "job_enqueued receiver" in caplog.text and "receiver bug" in caplog.text


def test_enqueue_to_by_registered_name_honours_always_eager(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "ALWAYS_EAGER": True}
    django_resque.enqueue_to("anywhere", "tests.support.jobs.add", 2, 3)
    assert json.loads(fake_redis.lpop(support.DONE_KEY)) == {"sum": 5}
    django_resque.enqueue_to("ruby_q", "Archive", 7)  # unknown here: pushed for the fleet that knows it
    assert fake_redis.llen(keys.queue("ruby_q")) == 1


def test_a_job_without_django_resque_in_installed_apps_is_refused_at_once(fake_redis, settings):
    """Else it would enqueue happily and never run: resque_work is not even a command."""
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "django_resque"]
    with pytest.raises(ResqueConfigurationError, match="'django_resque' is not in INSTALLED_APPS"):

        @job(name="never.installed")
        def orphan() -> None: ...

    assert not registry.is_registered("never.installed")
    assert fake_redis.keys() == []
