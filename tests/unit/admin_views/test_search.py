"""The Find a job page: links to where each job is, escaped, paged with a position."""

from __future__ import annotations

from django.urls import reverse

from django_resque import delayed, search
from django_resque import queue as queues
from django_resque.payload import build
from tests.support import jobs

URL = "admin:django_resque_overview_search"
XSS = "<script>alert(1)</script>"


def test_matches_link_to_their_pages_and_are_escaped(viewer_client, fake_redis):
    queues.push("mail", build("shop.send", [XSS]))
    delayed.schedule(4_000_000_000, "later", build("shop.send", ["later"]))
    response = viewer_client.get(reverse(URL), {"q": "shop.send"})
    content = response.content.decode()
    assert XSS not in content and "&lt;script&gt;" in content
    rows = [[cell.text for cell in row.cells][:3] for row in response.context["rows"]]
    assert rows == [
        ["Queued in mail, #1", "shop.send", '["<script>alert(1)</script>"]'],
        ["Delayed until 2096-10-02 07:06:40 UTC", "shop.send", '["later"]'],
    ]
    urls = [row.cells[0].url for row in response.context["rows"]]
    assert urls[0].startswith(reverse("admin:django_resque_queue_job", args=["mail", 0]) + "?digest=")
    assert urls[1] == reverse("admin:django_resque_delayedjob_at", args=[4_000_000_000])


def test_a_next_link_goes_on_from_where_the_page_stopped(viewer_client, fake_redis, monkeypatch):
    monkeypatch.setattr(search, "BUDGET", 2)
    queues.push_many([("q", build("x", [n])) for n in range(3)])
    first = viewer_client.get(reverse(URL), {"q": "x"}).context
    assert len(first["rows"]) == 2 and first["cursor"]["next_url"].endswith("?q=x&at=1.0.2")
    second = viewer_client.get(first["cursor"]["next_url"]).context
    assert [row.cells[2].text for row in second["rows"]] == ["[2]"] and not second["cursor"]["next_url"]


def test_a_bad_position_is_a_404_and_no_query_reads_nothing(viewer_client, fake_redis):
    assert viewer_client.get(reverse(URL), {"q": "x", "at": "nope"}).status_code == 404
    response = viewer_client.get(reverse(URL))
    assert response.status_code == 200 and response.context["rows"] == []


def test_a_job_is_found_by_its_id_directly_and_in_its_queue(viewer_client, fake_redis):
    queued = jobs.add.delay(1, 2)
    queues.push("mail", build("shop.send", [queued.id]))  # its id as another job's argument
    response = viewer_client.get(reverse(URL), {"q": queued.id})
    assert response.context["by_id"].status == "queued"
    assert response.context["by_id_url"] == reverse("admin:django_resque_overview_job", args=[queued.id])
    found = [[cell.text for cell in row.cells] for row in response.context["rows"]]
    assert found[0][:2] == ["Queued in mail, #1", "shop.send"]  # queues in name order
    assert found[1] == ["Queued in test, #1", "tests.support.jobs.add", "[1, 2]", queued.id]
    assert response.context["rows"][1].cells[3].url == response.context["by_id_url"]
    assert "is <strong>queued</strong>" in response.content.decode()


def test_an_unknown_id_shows_no_status(viewer_client, fake_redis):
    response = viewer_client.get(reverse(URL), {"q": "needle"})
    assert response.context["by_id"] is None
