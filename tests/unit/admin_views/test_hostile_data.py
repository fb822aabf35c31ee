"""Every hostile value of issue 21 in Redis: every admin page answers 200 and shows it."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from django_resque import keys
from tests.support import hostile


@pytest.fixture
def written(fake_redis):
    return hostile.write_all(fake_redis)


def test_every_page_answers_200(viewer_client, written):
    for page in hostile.admin_pages(written.failed):
        response = viewer_client.get(page)
        assert response.status_code == 200, page


def test_odd_query_strings_and_routes_are_404s(viewer_client, written):
    for page in hostile.bad_requests():
        assert viewer_client.get(page).status_code == 404, page


def test_unreadable_values_are_shown_as_such(viewer_client, written):
    workers = viewer_client.get(reverse("admin:django_resque_worker_changelist")).content.decode()
    assert "unreadable record: {&quot;queue&quot;:&quot;evil&quot;" in workers
    assert "host\ufffd</td>" in workers
    queues = viewer_client.get(reverse("admin:django_resque_queue_changelist")).content.decode()
    assert "&#x27;bad\\nname&#x27; (invalid queue name)" in queues
    overview = viewer_client.get(reverse("admin:django_resque_overview_changelist")).content.decode()
    assert "(invalid queue name)" in overview
    jobs = viewer_client.get(reverse("admin:django_resque_queue_jobs", args=["evil"])).content.decode()
    assert "malformed: nested deeper than 100 levels" in jobs and "malformed: not UTF-8" in jobs
    delayed = viewer_client.get(reverse("admin:django_resque_delayedjob_changelist")).content.decode()
    assert "not an epoch" in delayed
    failed = viewer_client.get(reverse("admin:django_resque_failedjob_changelist")).content.decode()
    assert failed.count("unreadable record") == 4  # too deep (twice) and not UTF-8 (twice)


def test_an_unreadable_failure_can_be_removed_one_by_one(changer_client, written, fake_redis):
    page = changer_client.get(reverse("admin:django_resque_failedjob_changelist"))
    unreadable = [row for row in page.context["rows"] if row.cells[2].text == "unreadable record"]
    delete = unreadable[0].actions[0]
    response = changer_client.post(delete.url, delete.fields)
    assert response.status_code == 302
    assert fake_redis.llen(keys.failed()) == written.failed - 1


def test_a_malformed_delayed_item_with_invalid_utf8_can_be_deleted(changer_client, written, fake_redis):
    raw = b'{"class":"J\xff","args":[],"queue":"q"}'
    index = fake_redis.lrange(keys.delayed(written.due), 0, -1).index(raw)
    fields = {"timestamp": str(written.due), "index": str(index), "digest": hashlib.sha1(raw).hexdigest()}
    response = changer_client.post(reverse("admin:django_resque_delayedjob_delete"), fields)
    assert response.status_code == 302
    assert raw not in fake_redis.lrange(keys.delayed(written.due), 0, -1)
