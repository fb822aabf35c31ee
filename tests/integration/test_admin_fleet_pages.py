"""The charts, Redis and Find a job pages on a real Redis Cluster (hash-tagged namespace)."""

from __future__ import annotations

from django.urls import reverse

from django_resque import keys
from django_resque import queue as queues
from django_resque.payload import build


def test_the_fleet_pages_on_a_cluster(admin_client, on_cluster):
    queues.push("mail", build("shop.send", ["needle"]))
    overview = admin_client.get(reverse("admin:django_resque_overview_changelist"))
    assert overview.status_code == 200 and len(overview.context["charts"]) == 3
    redis_page = admin_client.get(reverse("admin:django_resque_overview_redis"))
    assert redis_page.status_code == 200
    assert dict(redis_page.context["server"])["Connection"].startswith("redis+cluster://")
    listed = [row.cells[0].text for row in redis_page.context["rows"]]
    assert keys.strip_namespace(keys.queue("mail")) in listed
    found = admin_client.get(reverse("admin:django_resque_overview_search"), {"q": "needle"})
    assert [row.cells[0].text for row in found.context["rows"]] == ["Queued in mail, #1"]
