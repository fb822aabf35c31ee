"""History charts on the overview and a queue's page: SVG, numbers as tables and JSON."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from django_resque import history, inflight, keys, metrics, workers
from django_resque import queue as queues
from django_resque.admin_views import charts
from django_resque.payload import build

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def mid_minute(monkeypatch):
    """Redis's clock (fakeredis reads time.time) stopped mid-minute: no minute turns in a test."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_030.0)


def _work(name: str, queue_name: str, failed: bool = False) -> None:
    queues.push(queue_name, build(name, []))
    reserved = inflight.reserve("h:1:*", [queue_name])
    inflight.finish("h:1:*", reserved.record, failed=failed)


def _totals(rows: list[list[object]]) -> list[int]:
    return [sum(row[1] for row in rows), sum(row[2] for row in rows)]


@pytest.fixture
def worked(fake_redis, settings):
    settings.RESQUE = {**settings.RESQUE, "DURATION_METRICS": True}
    workers.register("h:1:*")
    _work("a", "mail")
    _work("a", "mail", failed=True)
    _work("b", XSS)
    queues.push("mail", build("waiting", []))
    fake_redis.hdel(keys.history("minute", history.server_now() // 60 * 60), "sampled")  # sample again
    workers.heartbeat("h:1:*")
    metrics.record_duration(XSS, 1.5)  # no queue: as recorded before durations were kept per queue
    metrics.record_duration("quick", 0.25, "mail")
    metrics.record_duration("Mail::Digest", 0.5, "a:b")


def test_the_overview_draws_throughput_depth_and_the_slowest_jobs(viewer_client, worked):
    response = viewer_client.get(reverse("admin:django_resque_overview_changelist"))
    content = response.content.decode()
    assert content.count('<svg viewBox="0 0 600') == 3
    assert 'id="chart-throughput"' in content and 'id="chart-depth"' in content and 'id="chart-slowest"' in content
    assert "<polyline" in content and "<rect" in content
    assert XSS not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    throughput, depth, slowest = response.context["charts"]
    assert _totals(throughput.rows) == [3, 1]  # summed: the minute may turn during the test
    assert max(row[1] or 0 for row in depth.rows) == 1
    assert [row[:2] for row in slowest.rows] == [[XSS, 1], ["Mail::Digest", 1], ["quick", 1]]
    assert slowest.title == "Slowest job classes (average run)"
    assert response.context["history_notes"] == []


def test_stats_json_carries_the_charts_numbers(viewer_client, worked):
    data = viewer_client.get(reverse("admin:django_resque_overview_stats") + "?span=day").json()["history"]
    assert data["span"] == "day" and data["seconds_per_point"] == 900 and len(data["points"]) == 96
    assert sum(p["processed"] for p in data["points"]) == 3 and sum(p["failed"] for p in data["points"]) == 1
    assert data["slowest"][0] == {"job": XSS, "count": 1, "average_seconds": 1.5, "longest_seconds": 1.5}
    mail = viewer_client.get(reverse("admin:django_resque_overview_stats") + "?queue=mail").json()["history"]
    assert sum(p["processed"] for p in mail["points"]) == 2 and max(p["depth"] or 0 for p in mail["points"]) == 1
    assert mail["slowest"] == [{"job": "quick", "count": 1, "average_seconds": 0.25, "longest_seconds": 0.25}]
    digest = viewer_client.get(reverse("admin:django_resque_overview_stats") + "?span=week&queue=a:b").json()
    assert [s["job"] for s in digest["history"]["slowest"]] == ["Mail::Digest"]
    unknown = viewer_client.get(reverse("admin:django_resque_overview_stats") + "?queue=a").json()["history"]
    assert unknown["slowest"] == []
    assert viewer_client.get(reverse("admin:django_resque_overview_stats") + "?queue=%00").status_code == 404


def test_a_queue_page_draws_its_own_history(viewer_client, worked, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_800_000_030.0 + 60)  # the next minute folds the last
    workers.heartbeat("h:1:*")
    response = viewer_client.get(reverse("admin:django_resque_queue_jobs", args=["mail"]) + "?span=week")
    content = response.content.decode()
    assert content.count('<svg viewBox="0 0 600') == 3
    throughput, _, slowest = response.context["charts"]
    assert _totals(throughput.rows) == [2, 1] and len(throughput.rows) == 168
    assert "<strong>Last 7 days</strong>" in content
    assert slowest.title == "Slowest job classes of this queue (average run)"
    assert slowest.rows == [["quick", 1, "0.250", "0.250"]] and len(slowest.bars) == 1  # not XSS: no queue kept
    assert 'id="chart-slowest"' in content and "<td>quick</td>" in content and "Mail::Digest" not in content


def test_a_queue_page_with_colons_shows_its_slowest_jobs(viewer_client, worked):
    response = viewer_client.get(reverse("admin:django_resque_queue_jobs", args=["a:b"]))
    slowest = response.context["charts"][2]
    assert slowest.rows == [["Mail::Digest", 1, "0.500", "0.500"]]
    assert "<td>Mail::Digest</td>" in response.content.decode()
    empty = viewer_client.get(reverse("admin:django_resque_queue_jobs", args=["a"])).context["charts"][2]
    assert empty.rows == [] and empty.note == "No durations recorded for this queue in this time."


def test_ruby_workers_and_durations_off_are_said(viewer_client, fake_redis):
    workers.register("h:1:*")
    fake_redis.sadd(keys.workers(), "ruby:2:mail")
    response = viewer_client.get(reverse("admin:django_resque_overview_changelist"))
    assert response.context["history_notes"] == [
        "1 of 2 workers write no history (Ruby's Resque workers, or django-resque workers older than the "
        "charts): the jobs they work are missing from these charts."
    ]
    assert "DURATION_METRICS" in response.context["charts"][2].note


def test_garbage_history_never_breaks_a_page(viewer_client, fake_redis):
    now = history.server_now()
    fake_redis.set(keys.history("minute", now // 60 * 60), "not a hash")
    fake_redis.hset(keys.history("minute", now // 60 * 60 - 60), mapping={"processed": "1e99", "depth": "-4"})
    fake_redis.hset(keys.history_durations("minute", now // 60 * 60), mapping={"count:x": "nan", "sum:x": "inf"})
    fake_redis.hset(keys.history_queue_durations("minute", now // 60 * 60, "mail"), mapping={"count:x": "1e999"})
    fake_redis.set(keys.history_queue_durations("hour", now // 3600 * 3600, "mail"), "not a hash")
    fake_redis.set(keys.history_writers(), "x")
    for span in ("hour", "day", "week", "nonsense"):
        response = viewer_client.get(reverse("admin:django_resque_overview_changelist") + "?span=" + span)
        assert response.status_code == 200
        response = viewer_client.get(reverse("admin:django_resque_queue_jobs", args=["mail"]) + "?span=" + span)
        assert response.status_code == 200 and response.context["charts"][2].rows == []


def test_nice_axis_tops():
    assert [charts._nice_max(n) for n in (0, 1, 2, 3, 6, 11, 99, 101)] == [1, 1, 2, 5, 10, 20, 100, 200]
