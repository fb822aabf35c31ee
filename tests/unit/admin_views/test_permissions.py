"""Every page and action against every kind of user, and CSRF on every action."""

import pytest
from django.test import Client
from django.urls import reverse

from django_resque import queue as queues
from django_resque.payload import build

RAW_B64 = "eyJjbGFzcyI6IlgiLCJhcmdzIjpbMV19"  # {"class":"X","args":[1]}

READ_PAGES = [
    ("overview_changelist", []),
    ("overview_stats", []),
    ("overview_metrics", []),
    ("queue_changelist", []),
    ("queue_jobs", ["q"]),
]
CONFIRM_PAGES = [("queue_clear", ["q"])]
ACTIONS = [
    ("queue_delete_job", ["q"], {"payload": RAW_B64}),
    ("queue_clear", ["q"], {}),
]


def url(name, args):
    return reverse(f"admin:django_resque_{name}", args=args)


@pytest.fixture(autouse=True)
def one_job(fake_redis):
    queues.push("q", build("X", [1]))


ALL_GETS = [*READ_PAGES, *CONFIRM_PAGES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), ALL_GETS + [(n, a) for n, a, _ in ACTIONS])
def test_anonymous_is_sent_to_the_login_page(name, args):
    for response in (Client().get(url(name, args)), Client().post(url(name, args))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert queues.size("q") == 1


@pytest.mark.parametrize(("name", "args"), ALL_GETS)
def test_staff_without_permission_is_refused(staff_client, name, args):
    assert staff_client.get(url(name, args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), READ_PAGES)
def test_view_permission_opens_read_pages(viewer_client, name, args):
    assert viewer_client.get(url(name, args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), CONFIRM_PAGES)
def test_view_permission_does_not_open_confirmation_pages(viewer_client, name, args):
    assert viewer_client.get(url(name, args)).status_code == 403


@pytest.mark.parametrize(("name", "args", "data"), ACTIONS)
def test_actions_are_refused_without_change_permission(staff_client, viewer_client, name, args, data):
    assert staff_client.post(url(name, args), data).status_code == 403
    assert viewer_client.post(url(name, args), data).status_code == 403
    assert queues.size("q") == 1


@pytest.mark.parametrize(("name", "args", "data"), ACTIONS)
def test_change_permission_runs_actions(changer_client, name, args, data):
    assert changer_client.post(url(name, args), data).status_code == 302
    assert queues.size("q") == 0


@pytest.mark.parametrize(("name", "args"), READ_PAGES + CONFIRM_PAGES)
def test_change_permission_also_reads(changer_client, superuser_client, name, args):
    assert changer_client.get(url(name, args)).status_code == 200
    assert superuser_client.get(url(name, args)).status_code == 200


@pytest.mark.parametrize(("name", "args", "data"), [a for a in ACTIONS if a[0] != "queue_clear"])
def test_actions_refuse_get(changer_client, name, args, data):
    assert changer_client.get(url(name, args), data).status_code == 405
    assert queues.size("q") == 1


@pytest.mark.parametrize(("name", "args", "data"), ACTIONS)
def test_actions_without_csrf_token_are_refused(csrf_client, name, args, data):
    assert csrf_client.post(url(name, args), data).status_code == 403
    assert queues.size("q") == 1


def test_actions_with_the_page_csrf_token_work(csrf_client):
    confirm = csrf_client.get(url("queue_clear", ["q"]))
    token = confirm.context["csrf_token"]
    assert csrf_client.post(url("queue_clear", ["q"]), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert queues.size("q") == 0
