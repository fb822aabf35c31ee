"""Django settings of the realistic jobs, for our worker and RQ's alike.

Redis from BENCH_REDIS_URL; the database from BENCH_DB: ``postgresql`` (libpq's PGHOST,
PGPORT, PGDATABASE, PGUSER, defaulting to 127.0.0.1:5432, ``test``, ``postgres``) or
the path of a SQLite file. BENCH_NO_WARM_UP=1 turns our worker's built-in warm-up off.
"""

import os

SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "de"
INSTALLED_APPS = ["django_resque", "benchmarks.realistic"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

if os.environ.get("BENCH_DB", "postgresql") == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "NAME": os.environ.get("PGDATABASE", "test"),
            "USER": os.environ.get("PGUSER", "postgres"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"]}}

CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
RESQUE = {"REDIS_URL": REDIS_URL}
if os.environ.get("BENCH_NO_WARM_UP"):
    RESQUE["WARM_UP_BUILTIN"] = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
