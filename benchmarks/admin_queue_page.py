"""How long the admin takes to open a queue page: a queue of 10 jobs vs 1,000,000.

PYTHONPATH=. .venv/bin/python benchmarks/admin_queue_page.py

Starts a private redis-server, fills both queues, and times 20 requests per page
(first and last) through Django's test client; prints the medians.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

SIZES = {"ten": 10, "million": 1_000_000}
REQUESTS = 20


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("RESQUE_TEST_DB", os.path.join(tempfile.mkdtemp(), "db.sqlite3"))
    from django_resque.testing import RedisServer

    with RedisServer() as server:
        os.environ["REDIS_URL"] = server.url
        client = logged_in_client(server.url)
        for queue, size in SIZES.items():
            _fill(queue, size)
        for queue, size in SIZES.items():
            for page in sorted({1, max(1, size // 25)}):
                print("%-8s %9d jobs, page %6d: median %.1f ms" % (queue, size, page, _median_ms(client, queue, page)))


def logged_in_client(redis_url: str):
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": redis_url}
    setup_test_environment()
    call_command("migrate", verbosity=0)
    User.objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.login(username="bench", password="bench")
    return client


def _fill(queue: str, size: int, chunk: int = 20_000) -> None:
    from django_resque import keys
    from django_resque.connection import get_redis

    client = get_redis()
    client.sadd(keys.queues(), queue)
    for start in range(0, size, chunk):
        stop = min(size, start + chunk)
        client.rpush(keys.queue(queue), *('{"class":"X","args":[%d]}' % n for n in range(start, stop)))


def _median_ms(client, queue: str, page: int) -> float:
    from django.urls import reverse

    url = reverse("admin:django_resque_queue_jobs", args=[queue])
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, {"page": page})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


if __name__ == "__main__":
    main()
