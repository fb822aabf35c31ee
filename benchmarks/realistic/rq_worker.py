"""RQ's forking ``Worker`` on the realistic jobs: Django set up once, in the worker.

``python -m benchmarks.realistic.rq_worker QUEUE`` (BENCH_REDIS_URL, DJANGO_SETTINGS_MODULE
set), as django-rq's ``rqworker`` does it. The job bodies are imported here too, so
RQ's work horses do not import them per job either.
"""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    django.setup()
    import redis
    from rq import Queue, Worker

    from . import work  # noqa: F401  (imported once, in the worker)

    connection = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    Worker([Queue(sys.argv[1], connection=connection)], connection=connection).work(logging_level="WARNING")


if __name__ == "__main__":
    main()
