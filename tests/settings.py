"""Test settings: the test project plus the ``tests.support`` app and its test jobs."""

import json
import os
import tempfile

os.environ.setdefault("RESQUE_DEMO_VAR", tempfile.mkdtemp(prefix="django-resque-tests-"))

from testproject.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("RESQUE_TEST_DB", ":memory:")}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Django's Tasks framework on Resque; tests/support/tasks.py defines the tasks.
TASKS = {
    "default": {
        "BACKEND": "django_resque.backends.ResqueBackend",
        "QUEUES": ["default", "tasks", "queue_1"],
    }
}

# Extra RESQUE settings for worker and scheduler subprocesses, as JSON (tests/chaos sets
# small HEARTBEAT_INTERVAL / PRUNE_INTERVAL and DIRTY_EXIT this way).
RESQUE = {**RESQUE, **json.loads(os.environ.get("RESQUE_TEST_SETTINGS", "{}"))}  # noqa: F405
