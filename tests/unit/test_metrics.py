from django_resque import keys, metrics, signals
from tests.support import jobs as support


def test_metrics_render_queues_counters_and_workers(fake_redis):
    support.remember.delay(1)
    support.remember.delay(2)
    fake_redis.set(keys.stat("processed"), 7)
    fake_redis.set(keys.stat("failed"), 2)
    fake_redis.sadd(keys.workers(), "h:1:test", "h:2:test")
    fake_redis.set(keys.worker("h:1:test"), "{}")
    text = metrics.render().decode()
    assert 'resque_queue_jobs{queue="test"} 2.0' in text
    assert "resque_jobs_processed_total 7.0" in text
    assert "resque_jobs_failed_total 2.0" in text
    assert 'resque_workers{state="working"} 1.0' in text
    assert 'resque_workers{state="idle"} 1.0' in text


def test_durations_are_off_by_default(fake_redis):
    metrics.record_duration("job", 0.2)
    assert fake_redis.exists(keys.job_durations()) == 0


def test_duration_histogram_is_cumulative_and_fed_by_job_finished(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    signals.job_finished.send(sender=support.remember, queue="test", payload=None, worker_id="w", duration=0.02)
    metrics.record_duration(support.remember.name, 3.0)
    text = metrics.render().decode()
    name = support.remember.name
    assert f'resque_job_duration_seconds_bucket{{job="{name}",le="0.01"}} 0.0' in text
    assert f'resque_job_duration_seconds_bucket{{job="{name}",le="0.025"}} 1.0' in text
    assert f'resque_job_duration_seconds_bucket{{job="{name}",le="5.0"}} 2.0' in text
    assert f'resque_job_duration_seconds_bucket{{job="{name}",le="+Inf"}} 2.0' in text
    assert f'resque_job_duration_seconds_count{{job="{name}"}} 2.0' in text
    assert f'resque_job_duration_seconds_sum{{job="{name}"}} 3.02' in text
