"""A job by its id in the admin: the find box, the status page (hostile records too), cancel."""

import pytest
from django.urls import reverse

import django_resque
from django_resque import keys
from tests.support import jobs as support


def url(name, *args):
    return reverse(f"admin:django_resque_overview_{name}", args=args)


def test_the_overview_has_a_find_box_that_leads_to_the_jobs_page(viewer_client, fake_redis):
    queued = support.remember.delay(1)
    assert b'id="find-job"' in viewer_client.get(url("changelist")).content
    response = viewer_client.get(url("find_job"), {"id": " %s " % queued.id})
    assert response.status_code == 302 and response.url == url("job", queued.id)
    page = viewer_client.get(response.url)
    assert page.status_code == 200
    assert dict(page.context["fields"])["Status"] == "queued"


def test_a_bad_id_in_the_find_box_goes_back_with_a_message(viewer_client, fake_redis):
    response = viewer_client.get(url("find_job"), {"id": "<script>"}, follow=True)
    assert b"A job id is 1 to 64" in response.content
    assert viewer_client.get("%s<b>/" % url("job", "x")[:-2]).status_code == 404


def test_a_hostile_record_is_shown_escaped_as_unknown(viewer_client, fake_redis):
    fake_redis.hset(keys.job_record("evil"), mapping={"status": "<script>alert(1)</script>", "job": "<b>x</b>"})
    response = viewer_client.get(url("job", "evil"))
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert dict(response.context["fields"])["Status"] == "unknown"


def test_a_result_is_shown_and_cancel_is_offered_only_while_not_over(changer_client, fake_redis):
    fake_redis.hset(keys.job_record("done"), mapping={"status": "finished", "return_value": '{"n":"<i>"}'})
    page = changer_client.get(url("job", "done"))
    assert dict(page.context["fields"])["Result"] == '{"n":"<i>"}'
    assert page.context["tools"] == []
    queued = support.remember.delay(1)
    assert [tool.label for tool in changer_client.get(url("job", queued.id)).context["tools"]] == [
        "Cancel",
        "Kill if running",
    ]


def test_cancel_is_a_post_that_needs_the_change_permission(viewer_client, changer_client, fake_redis):
    queued = support.remember.delay(1)
    assert viewer_client.post(url("cancel_job", queued.id)).status_code == 403
    assert changer_client.get(url("cancel_job", queued.id)).status_code == 405
    response = changer_client.post(url("cancel_job", queued.id), follow=True)
    assert b"is cancelled" in response.content
    assert django_resque.fetch(queued.id).status == "cancelled"


def test_cancel_needs_the_csrf_token(csrf_client, fake_redis):
    queued = support.remember.delay(1)
    assert csrf_client.post(url("cancel_job", queued.id)).status_code == 403
    assert django_resque.fetch(queued.id).status == "queued"


@pytest.mark.parametrize("page", ["jobs", "job"])
def test_queue_pages_show_the_id_and_a_cancel_button(changer_client, fake_redis, page):
    queued = support.remember.delay(1)
    args = ("test",) if page == "jobs" else ("test", 0)
    response = changer_client.get(reverse(f"admin:django_resque_queue_{page}", args=args))
    assert queued.id.encode() in response.content
    assert url("cancel_job", queued.id).encode() in response.content


def test_a_failure_page_links_to_its_jobs_page(viewer_client, fake_redis):
    from django_resque import failure

    failure.handle(ValueError("x"), payload={"class": "x.y", "args": [], "id": "b" * 32}, queue="q", worker_id="w")
    response = viewer_client.get(reverse("admin:django_resque_failedjob_detail", args=[0]))
    assert url("job", "b" * 32).encode() in response.content
