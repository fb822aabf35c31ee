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
        DATABASES={},
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
