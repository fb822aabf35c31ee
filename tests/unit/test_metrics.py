import subprocess
import sys
from pathlib import Path

from django_resque import keys, metrics, signals
from tests.support import jobs as support

ROOT = Path(__file__).resolve().parents[2]


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


def test_without_the_metrics_extra_the_app_starts_and_serving_names_the_extra():
    """prometheus-client blocked as if not installed: Django starts, jobs run, metrics say what to install."""
    script = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "import django; django.setup()\n"
        "from django.core.management import call_command, CommandError\n"
        "from django_resque import metrics\n"
        "metrics.record_duration('job', 0.1)\n"
        "try:\n"
        "    call_command('resque_metrics')\n"
        "except CommandError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'django-resque[metrics]'" in result.stdout
