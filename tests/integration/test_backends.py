"""ResqueBackend against a real Redis, with the task run by another process.

The other process knows the tasks only because django-resque autodiscovers the
installed apps' ``tasks`` modules when a ResqueBackend is configured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from django_resque import keys
from django_resque.tasks.compat import FRAMEWORK, TaskResultStatus
from django_resque.testing import environment_with
from tests.support import tasks as test_tasks

ROOT = Path(__file__).resolve().parents[2]
TASKS_LOGGER = "django.tasks" if FRAMEWORK == "django.tasks" else "django_tasks"

# What the worker's child does with one payload, in a fresh interpreter.
PERFORM_ONE = """
import django
django.setup()
from django_resque import keys, registry
from django_resque import payload as payload_codec
from django_resque.connection import get_redis
payload = payload_codec.decode(get_redis().lpop(keys.queue({queue!r})))
try:
    registry.lookup(payload.name).perform_payload(payload)
except Exception as exc:
    print("raised", type(exc).__name__)
"""


def run_in_other_process(redis_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python <argv>`` with the test settings and this run's Redis."""
    env = environment_with(redis_url, DJANGO_SETTINGS_MODULE="tests.settings")
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_another_process_runs_the_task_and_get_result_sees_it(redis_url, real_redis):
    ok = test_tasks.add_numbers.enqueue(2, 3, scale=2)
    failing = test_tasks.failing_task_value_error.enqueue()
    done = run_in_other_process(redis_url, "-c", PERFORM_ONE.format(queue="tasks"))
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    done = run_in_other_process(redis_url, "-c", PERFORM_ONE.format(queue="default"))
    assert (done.returncode, done.stdout.strip()) == (0, "raised ValueError"), done.stderr
    ok.refresh()
    assert ok.status == TaskResultStatus.SUCCESSFUL
    assert ok.return_value == {"sum": 10}
    failed = test_tasks.failing_task_value_error.get_result(failing.id)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.errors[0].exception_class_path == "builtins.ValueError"
    assert "This task failed due to ValueError" in failed.errors[0].traceback


def test_resque_work_burst_runs_django_tasks(redis_url, real_redis):
    if "resque_work" not in get_commands():
        pytest.skip("resque_work is not on this branch yet (the worker lands separately)")
    ok = test_tasks.calculate_meaning_of_life.enqueue()
    async_result = test_tasks.async_add.enqueue(20, 22)
    failing = test_tasks.failing_task_value_error.enqueue()
    done = run_in_other_process(
        redis_url, "-m", "django", "resque_work", "--burst", "--queues", "default", "--settings", "tests.settings"
    )
    assert done.returncode == 0, done.stderr
    if FRAMEWORK == "django_tasks":
        # The backport's line for the failed task is formatted as ours, without a second
        # traceback: the failure record keeps it. (Django 6's django.tasks goes through
        # the project's LOGGING, as any "django.*" logger.)
        assert "Traceback" not in done.stderr, done.stderr
        [failed_line] = [line for line in done.stderr.splitlines() if "state=FAILED" in line]
        assert f" ERROR {TASKS_LOGGER}: Task id=" in failed_line
    ok.refresh()
    assert (ok.status, ok.return_value) == (TaskResultStatus.SUCCESSFUL, 42)
    assert len(ok.worker_ids) == 1 and ok.worker_ids[0].endswith(":default")
    async_result.refresh()
    assert (async_result.status, async_result.return_value) == (TaskResultStatus.SUCCESSFUL, 42)
    failing.refresh()
    assert failing.status == TaskResultStatus.FAILED
    assert failing.errors[0].exception_class_path == "builtins.ValueError"
    assert real_redis.llen(keys.failed()) == 1
