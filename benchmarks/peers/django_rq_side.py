"""django-rq: ``django_rq.enqueue`` (RQ underneath, reached through Django settings)."""

from __future__ import annotations

from ..harness import Bounds, rate_loop
from .rq_side import ARGS, QUEUE, noop


def setup(url: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django_rq"],
        RQ_QUEUES={QUEUE: {"URL": url}},
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    django.setup()


def enqueue(bounds: Bounds) -> dict[str, float]:
    import django_rq

    queue = django_rq.get_queue(QUEUE)

    def step() -> int:
        queue.enqueue(noop, *ARGS)
        return 1

    return rate_loop(step, bounds)


def commit_10(bounds: Bounds) -> dict[str, float]:
    """10 enqueues in one transaction on a queue in ``on_db_commit`` mode (one on_commit each)."""
    import django_rq
    from django.db import transaction

    queue = django_rq.get_queue(QUEUE, commit_mode="on_db_commit")

    def step() -> int:
        with transaction.atomic():
            for _ in range(10):
                queue.enqueue(noop, *ARGS)
        return 10

    return rate_loop(step, bounds)
