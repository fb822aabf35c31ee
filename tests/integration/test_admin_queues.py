"""Queue pages against a real Redis: a million-job queue opens page by page."""

from __future__ import annotations

from django.urls import reverse

from django_resque import keys
from django_resque import queue as queues

MILLION = 1_000_000


def _fill(client, queue: str, count: int, chunk: int = 20_000) -> None:
    client.sadd(keys.queues(), queue)
    for start in range(0, count, chunk):
        client.rpush(keys.queue(queue), *('{"class":"X","args":[%d]}' % n for n in range(start, start + chunk)))


def test_a_million_job_queue_opens_on_its_first_and_last_page(real_redis, admin_client):
    _fill(real_redis, "huge", MILLION)
    url = reverse("admin:django_resque_queue_jobs", args=["huge"])

    first = admin_client.get(url)
    assert first.status_code == 200
    assert [row.cells[2].text for row in first.context["rows"]][:2] == ["[0]", "[1]"]
    assert first.context["page"].paginator.num_pages == MILLION // 25

    last = admin_client.get(url, {"page": MILLION // 25})
    assert last.context["rows"][-1].cells[0].text == MILLION
    assert last.context["rows"][-1].cells[2].text == "[%d]" % (MILLION - 1)
    assert admin_client.get(url, {"page": MILLION // 25 + 1}).status_code == 404
    assert queues.size("huge") == MILLION
