"""Django settings of our side of the benchmark: django_resque plus the benchmark jobs.

The Redis URL comes from BENCH_REDIS_URL, set by the runner for the private server;
BENCH_RESULT_TTL=<seconds> keeps every job's return value (job records' results on).
BENCH_NO_HISTORY=1 turns the admin's history off.
"""

import os

SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django_resque", "benchmarks"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
RESQUE = {"REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")}
if os.environ.get("BENCH_RESULT_TTL"):  # keep every job's return value (results on)
    RESQUE["RESULT_TTL"] = int(os.environ["BENCH_RESULT_TTL"])
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
if os.environ.get("BENCH_NO_HISTORY"):  # the admin's history off (benchmarks/server_time.py)
    RESQUE["HISTORY"] = False
