"""Every page and action against every kind of user, and CSRF on every action."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from django_resque import delayed, keys, workers
from django_resque import queue as queues
from django_resque.admin_views import bulk_runs
from django_resque.failure import api as failure_api
from django_resque.failure import from_exception, save
from django_resque.payload import build

RAW = b'{"class":"X","args":[1]}'
JOB = {"index": "0", "length": str(len(RAW)), "digest": hashlib.sha1(RAW).hexdigest()}
STAMP = 4_000_000_000
STALE_WORKER = "gone:99:q"
ITEM = {
    "timestamp": str(STAMP),
    "index": "0",
    "digest": hashlib.sha1(b'{"class":"X","args":[2],"queue":"later"}').hexdigest(),
}

READ_PAGES = [
    ("overview_changelist", []),
    ("overview_stats", []),
    ("overview_metrics", []),
    ("overview_redis", []),
    ("overview_search", []),
    ("queue_changelist", []),
    ("queue_jobs", ["q"]),
    ("delayedjob_changelist", []),
    ("delayedjob_at", [STAMP]),
    ("schedule_changelist", []),
    ("failedjob_changelist", []),
    ("failedjob_detail", [0]),
    ("worker_changelist", []),
]


def _runs_ended():
    """Wait for the background bulk changes this process started."""
    for thread in list(bulk_runs._threads.values()):
        thread.join(10)
    return True


CONFIRM_PAGES = [("queue_clear", ["q"]), ("failedjob_clear", [])]


def _queue_is_empty():
    return queues.size("q") == 0


ACTIONS = [
    ("queue_delete_job", ["q"], JOB, _queue_is_empty),
    ("queue_clear", ["q"], {}, _queue_is_empty),
    ("delayedjob_enqueue_now", [], ITEM, lambda: queues.size("later") == 1),
    ("delayedjob_delete", [], ITEM, lambda: delayed.schedule_size() == 0),
    ("schedule_run_now", [], {"name": "every_minute"}, lambda: queues.size("ticks") == 1),
    ("failedjob_retry", [], lambda: {"target": _failure_target()}, lambda: queues.size("broken") == 1),
    ("failedjob_delete", [], lambda: {"target": _failure_target()}, lambda: failure_api.count() == 0),
    (
        "failedjob_bulk",
        [],
        lambda: {"action": "delete", "selected": _failure_target()},
        lambda: failure_api.count() == 0,
    ),
    ("failedjob_all", [], {"action": "retry"}, lambda: _runs_ended() and queues.size("broken") == 1),
    ("failedjob_clear", [], {}, lambda: failure_api.count() == 0),
    ("worker_prune", [], {"worker": STALE_WORKER}, lambda: workers.find(STALE_WORKER) is None),
]
ACTION_IDS = [action[0] for action in ACTIONS]


def _failure_target():
    return "0:%s:" % failure_api.get(0).digest


def form(data):
    return data() if callable(data) else data


def url(name, args):
    return reverse(f"admin:django_resque_{name}", args=args)


@pytest.fixture(autouse=True)
def state(fake_redis, settings):
    workers.register(STALE_WORKER)
    fake_redis.hset(keys.heartbeats(), STALE_WORKER, "2020-01-01T00:00:00+00:00")
    queues.push("q", build("X", [1]))
    delayed.schedule(STAMP, "later", build("X", [2]))
    save(from_exception(KeyError("boom"), {"class": "X", "args": [3]}, "h:1:broken", "broken"))
    settings.RESQUE = {
        **settings.RESQUE,
        "SCHEDULE": {"every_minute": {"cron": "* * * * *", "class": "RubyNamed", "queue": "ticks"}},
    }


def nothing_changed():
    return (
        queues.size("q") == 1
        and delayed.schedule_size() == 1
        and queues.size("ticks") == 0
        and queues.size("broken") == 0
        and failure_api.count() == 1
        and workers.find(STALE_WORKER) is not None
    )


ALL_GETS = [*READ_PAGES, *CONFIRM_PAGES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), ALL_GETS + [(n, a) for n, a, _, _ in ACTIONS])
def test_anonymous_is_sent_to_the_login_page(name, args):
    for response in (Client().get(url(name, args)), Client().post(url(name, args))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert nothing_changed()


@pytest.mark.parametrize(("name", "args"), ALL_GETS)
def test_staff_without_permission_is_refused(staff_client, name, args):
    assert staff_client.get(url(name, args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
def test_view_permission_opens_read_pages(viewer_client, name, args):
    assert viewer_client.get(url(name, args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), CONFIRM_PAGES)
def test_view_permission_does_not_open_confirmation_pages(viewer_client, name, args):
    assert viewer_client.get(url(name, args)).status_code == 403


@pytest.mark.parametrize(("name", "args", "data", "done"), ACTIONS, ids=ACTION_IDS)
def test_actions_are_refused_without_change_permission(staff_client, viewer_client, name, args, data, done):
    assert staff_client.post(url(name, args), form(data)).status_code == 403
    assert viewer_client.post(url(name, args), form(data)).status_code == 403
    assert nothing_changed()


@pytest.mark.parametrize(("name", "args", "data", "done"), ACTIONS, ids=ACTION_IDS)
def test_change_permission_runs_actions(changer_client, name, args, data, done):
    assert changer_client.post(url(name, args), form(data)).status_code == 302
    assert done()


@pytest.mark.parametrize(("name", "args"), READ_PAGES + CONFIRM_PAGES)
def test_change_permission_also_reads(changer_client, superuser_client, name, args):
    assert changer_client.get(url(name, args)).status_code == 200
    assert superuser_client.get(url(name, args)).status_code == 200


ASKS_FIRST = {"queue_clear", "failedjob_all", "failedjob_clear"}  # GET shows a confirmation page


@pytest.mark.parametrize(("name", "args", "data", "done"), ACTIONS, ids=ACTION_IDS)
def test_a_get_never_changes_anything(changer_client, name, args, data, done):
    expected = 200 if name in ASKS_FIRST else 405
    assert changer_client.get(url(name, args), form(data)).status_code == expected
    assert nothing_changed()


@pytest.mark.parametrize(("name", "args", "data", "done"), ACTIONS, ids=ACTION_IDS)
def test_actions_without_csrf_token_are_refused(csrf_client, name, args, data, done):
    assert csrf_client.post(url(name, args), form(data)).status_code == 403
    assert nothing_changed()


def test_actions_with_the_page_csrf_token_work(csrf_client):
    confirm = csrf_client.get(url("queue_clear", ["q"]))
    token = confirm.context["csrf_token"]
    assert csrf_client.post(url("queue_clear", ["q"]), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert queues.size("q") == 0
