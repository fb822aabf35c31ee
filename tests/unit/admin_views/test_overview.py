import pytest
from django.urls import reverse

from django_resque import delayed, keys, metrics
from django_resque import queue as queues
from django_resque.payload import build


def url(name):
    return reverse(f"admin:django_resque_overview_{name}")


@pytest.fixture
def some_state(fake_redis):
    queues.push("mail", build("X", [1]))
    queues.push("mail", build("X", [2]))
    queues.push("<b>x</b>", build("X", [3]))
    fake_redis.set(keys.stat("processed"), 7)
    fake_redis.set(keys.stat("failed"), 2)
    fake_redis.rpush(keys.failed(), "{}")
    fake_redis.sadd(keys.workers(), "h:1:mail", "h:2:mail")
    fake_redis.set(keys.worker("h:1:mail"), '{"queue":"mail","run_at":"2026-11-22T13:09:08Z","payload":{}}')


def test_overview_shows_totals_queues_and_workers(viewer_client, some_state):
    response = viewer_client.get(url("changelist"))
    assert response.status_code == 200
    stats = dict(response.context["stats"])
    assert all(entry["next_run"] for entry in stats.pop("next_schedules"))
    assert stats == {
        "processed": 7,
        "failed": 1,
        "failed_total": 2,
        "pending": 3,
        "queues": {"<b>x</b>": 1, "mail": 2},
        "workers": {"total": 2, "busy": 1, "idle": 1},
        "delayed": {"jobs": 0, "timestamps": 0},
    }
    content = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in content and "<b>x</b>" not in content
    assert '<meta http-equiv="refresh"' not in content


def test_stats_json_has_the_same_numbers(viewer_client, some_state):
    response = viewer_client.get(url("stats"))
    assert response["Content-Type"] == "application/json"
    assert response.json()["queues"] == {"<b>x</b>": 1, "mail": 2}
    assert response.json()["workers"] == {"total": 2, "busy": 1, "idle": 1}


def test_live_refresh_is_a_meta_refresh_toggled_by_query(viewer_client):
    content = viewer_client.get(url("changelist"), {"refresh": 5}).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in content
    assert 'href="?"' in content  # the "off" toggle


@pytest.mark.parametrize("value", ["3", "abc", "-5", "5.0"])
def test_bad_refresh_values_are_404(viewer_client, value):
    assert viewer_client.get(url("changelist"), {"refresh": value}).status_code == 404


def test_empty_redis_renders(viewer_client):
    response = viewer_client.get(url("changelist"))
    assert response.status_code == 200
    assert b"No queues yet." in response.content


def test_prometheus_metrics_are_served_as_text(viewer_client, some_state):
    response = viewer_client.get(url("metrics"))
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'resque_queue_jobs{queue="mail"} 2.0' in response.content.decode()


def test_without_the_metrics_extra_the_metrics_page_names_it(viewer_client, monkeypatch):
    monkeypatch.setattr(metrics, "HAS_PROMETHEUS", False)
    response = viewer_client.get(url("metrics"))
    assert response.status_code == 501
    assert b"pip install 'django-resque[metrics]'" in response.content


def test_delayed_count_and_next_schedules(viewer_client, settings):
    settings.RESQUE = {
        **settings.RESQUE,
        "SCHEDULE": {
            "<i>nightly</i>": {"cron": "30 3 * * *", "class": "RubyNamed", "queue": "night"},  # never ties hourly
            "hourly": {"cron": "0 * * * *", "class": "RubyNamed", "queue": "hour"},
        },
    }
    delayed.schedule(4_000_000_000, "mail", build("X", [1]))
    delayed.schedule(4_000_000_000, "mail", build("X", [2]))
    delayed.schedule(4_000_000_100, "mail", build("X", [3]))
    response = viewer_client.get(url("changelist"))
    data = response.context["stats"]
    assert data["delayed"] == {"jobs": 3, "timestamps": 2}
    next_runs = {entry["name"]: entry["next_run"] for entry in data["next_schedules"]}
    assert set(next_runs) == {"hourly", "<i>nightly</i>"}
    assert [entry["next_run"] for entry in data["next_schedules"]] == sorted(next_runs.values())  # soonest first
    assert next_runs["hourly"].endswith(":00:00+00:00") and next_runs["<i>nightly</i>"].endswith("03:30:00+00:00")
    assert "&lt;i&gt;nightly&lt;/i&gt;" in response.content.decode()
    assert viewer_client.get(url("stats")).json()["delayed"]["jobs"] == 3
