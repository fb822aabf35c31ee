import hashlib

import pytest
from django.urls import reverse

from django_resque import delayed
from django_resque import queue as queues
from django_resque.payload import build

T1, T2 = 4_000_000_000, 4_000_000_060


def url(name, *args):
    return reverse(f"admin:django_resque_{name}", args=args)


def item_fields(stamp, raw, index=0):
    return {"timestamp": str(stamp), "index": str(index), "digest": hashlib.sha1(raw.encode()).hexdigest()}


@pytest.fixture
def some_delayed():
    delayed.schedule(T1, "mail", build("Send", [1]))
    delayed.schedule(T1, "mail", build("Send", ["<script>alert(1)</script>"]))
    delayed.schedule(T2, "reports", build("Report", []))


def test_timestamps_with_counts(viewer_client, some_delayed):
    rows = viewer_client.get(url("delayedjob_changelist")).context["rows"]
    assert [(row.cells[0].text, row.cells[1].text) for row in rows] == [
        ("2096-10-02 07:06:40 UTC", 2),
        ("2096-10-02 07:07:40 UTC", 1),
    ]


def test_jobs_at_a_time_escaped(viewer_client, some_delayed):
    response = viewer_client.get(url("delayedjob_at", T1))
    assert [row.cells[0].text for row in response.context["rows"]] == ["Send", "Send"]
    assert b"&lt;script&gt;" in response.content and b"<script>alert" not in response.content
    assert viewer_client.get(url("delayedjob_at", T1), {"page": "x"}).status_code == 404


def test_enqueue_now_moves_one_job(changer_client, some_delayed):
    raw = delayed.items_at(T2)[0].raw
    changer_client.post(url("delayedjob_enqueue_now"), item_fields(T2, raw))
    assert [p.name for p in queues.peek("reports")] == ["Report"]
    assert delayed.schedule_size() == 1
    response = changer_client.post(url("delayedjob_enqueue_now"), item_fields(T2, raw), follow=True)
    assert "no longer waiting" in " ".join(str(m) for m in response.context["messages"])


def test_delete_one_delayed_job(changer_client, some_delayed):
    raw = delayed.items_at(T1)[0].raw
    changer_client.post(url("delayedjob_delete"), item_fields(T1, raw))
    assert delayed.timestamp_size(T1) == 1


def test_a_delayed_job_that_moved_is_reported_and_left_alone(changer_client, some_delayed):
    raw = delayed.items_at(T1)[1].raw
    response = changer_client.post(url("delayedjob_delete"), item_fields(T1, raw, index=0), follow=True)
    assert "no longer waiting" in " ".join(str(m) for m in response.context["messages"])
    assert delayed.timestamp_size(T1) == 2


@pytest.mark.parametrize(
    "data", [{}, {"timestamp": "x", "index": "0", "digest": "a" * 40}, {"timestamp": "1", "item": "e30="}]
)
def test_bad_delayed_posts_are_400(changer_client, some_delayed, data):
    assert changer_client.post(url("delayedjob_delete"), data).status_code == 400
    assert changer_client.post(url("delayedjob_enqueue_now"), data).status_code == 400


@pytest.fixture
def schedules(settings):
    settings.RESQUE = {
        **settings.RESQUE,
        "SCHEDULE": {"nightly": {"cron": "0 3 * * *", "class": "RubyNamed", "queue": "night", "args": [1]}},
    }


def test_schedules_with_next_run_and_run_now(changer_client, schedules):
    rows = changer_client.get(url("schedule_changelist")).context["rows"]
    assert [row.cells[0].text for row in rows] == ["nightly"]
    assert rows[0].cells[6].text.endswith("03:00:00 UTC")
    changer_client.post(url("schedule_run_now"), {"name": "nightly"})
    assert [p.args for p in queues.peek("night")] == [[1]]
    response = changer_client.post(url("schedule_run_now"), {"name": "nope"}, follow=True)
    assert "nope" in " ".join(str(m) for m in response.context["messages"])
