import pytest

from django_resque import keys
from django_resque.exceptions import MalformedPayloadError
from django_resque.tasks import results


def test_missing_result_loads_as_none(fake_redis):
    assert results.load("nope") is None


@pytest.mark.parametrize(
    "fields",
    [
        {"task": "t.f", "status": "DONE"},
        {"status": "READY"},
        {"task": "t.f", "status": "READY", "args": "not json"},
        {"task": "t.f", "status": "READY", "enqueued_at": "yesterday"},
        {"task": "t.f", "status": "READY", "args": "[" * 990 + "]" * 990},
        {"task": b"t.\xff", "status": "READY", "return_value": "[NaN]"},
    ],
)
def test_a_malformed_result_is_a_clear_error_carrying_the_data(fake_redis, fields):
    fake_redis.hset(keys.job_record("bad"), mapping=fields)
    with pytest.raises(MalformedPayloadError, match="task result 'bad'") as caught:
        results.load("bad")
    assert "READY" in str(caught.value.raw) or "DONE" in str(caught.value.raw)


def test_mark_running_appends_a_worker_and_keeps_the_first_start(fake_redis):
    first = results.mark_running("r", task_path="t.f", args=[1], kwargs={}, worker_id="w1", ttl=60)
    second = results.mark_running("r", task_path="t.f", args=[1], kwargs={}, worker_id="w2", ttl=60)
    assert second.worker_ids == ["w1", "w2"]
    assert second.started_at == first.started_at
    assert second.last_attempted_at >= first.last_attempted_at
    assert second.status == "RUNNING"
