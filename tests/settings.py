"""Test settings: the test project plus the ``tests.support`` app and its test jobs."""

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
