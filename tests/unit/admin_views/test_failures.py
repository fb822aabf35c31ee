import pytest
from django.urls import reverse

from django_resque import keys
from django_resque import queue as queues
from django_resque.failure import api as failure_api
from django_resque.failure import from_exception, save


def url(name, *args, **query):
    base = reverse(f"admin:django_resque_failedjob_{name}", args=args)
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def fail(n, *, queue="q", name="Job", exception=KeyError, args=None):
    try:
        raise exception("boom %s" % n)
    except exception as exc:
        save(from_exception(exc, {"class": name, "args": args if args is not None else [n]}, "host:1:q", queue))


def target(index):
    entry = failure_api.get(index)
    return "%d:%s:" % (index, entry.digest)


@pytest.fixture
def four():
    fail(0, queue="a", name="Mail")
    fail(1, queue="b", name="Report", exception=OSError)
    fail(2, queue="a", name="Mail", exception=OSError)
    fail(3, queue="b", name="<script>alert(1)</script>", args=["<script>alert(1)</script>"])


def test_list_shows_failures_oldest_first(viewer_client, four):
    response = viewer_client.get(url("changelist"))
    assert response.status_code == 200
    assert [row.cells[2].text for row in response.context["rows"]][:3] == ["Mail", "Report", "Mail"]
    assert response.context["page"].paginator.count == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"queue": "a"}, 2),
        ({"job": "Report"}, 1),
        ({"exception": "OSError"}, 2),
        ({"queue": "a", "exception": "OSError"}, 1),
    ],
)
def test_filters(viewer_client, four, query, expected):
    response = viewer_client.get(url("changelist"), query)
    assert response.context["page"].paginator.count == expected
    assert len(response.context["rows"]) == expected


def test_values_are_escaped_in_list_and_detail(viewer_client, four):
    for response in (viewer_client.get(url("changelist")), viewer_client.get(url("detail", 3))):
        content = response.content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_detail_shows_arguments_exception_message_and_backtrace(viewer_client, four):
    response = viewer_client.get(url("detail", 1))
    content = response.content.decode()
    assert response.status_code == 200
    assert "OSError" in content and "boom 1" in content and "test_failures.py" in content
    assert viewer_client.get(url("detail", 99)).status_code == 404


def test_unreadable_records_render_raw(viewer_client, fake_redis):
    fake_redis.rpush(keys.failed(), b"not json <i>")
    fail(1)
    assert b"not json &lt;i&gt;" in viewer_client.get(url("changelist")).content
    assert b"not json &lt;i&gt;" in viewer_client.get(url("detail", 0)).content


@pytest.mark.parametrize("page", ["abc", "0", "99999"])
def test_bad_pages_are_404(viewer_client, four, page):
    assert viewer_client.get(url("changelist"), {"page": page}).status_code == 404


def test_retry_one_requeues_and_marks_retried(changer_client, four):
    response = changer_client.post(url("retry"), {"target": target(1), "queue": "b"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?queue=b")
    assert [p.name for p in queues.peek("b", 0, 10)] == ["Report"]
    assert failure_api.get(1).record.retried_at
    assert "Retried failed job #1 (Report)." in [str(m) for m in response.context["messages"]]


def test_retry_of_a_moved_failure_is_refused(changer_client, four):
    stale = target(1)
    failure_api.remove(0, failure_api.get(0).digest)
    response = changer_client.post(url("retry"), {"target": stale}, follow=True)
    assert "no longer the one expected" in " ".join(str(m) for m in response.context["messages"])
    assert queues.size("b") == 0


def test_delete_one(changer_client, four):
    changer_client.post(url("delete"), {"target": target(0)})
    assert failure_api.count() == 3
    assert failure_api.get(0).record.job_name == "Report"


@pytest.mark.parametrize("value", ["", "1", "1:nothex:", "x:" + "a" * 40 + ":"])
def test_bad_targets_are_400(changer_client, four, value):
    assert changer_client.post(url("delete"), {"target": value}).status_code == 400
    assert failure_api.count() == 4


def test_bulk_retry_and_delete_selected(changer_client, four):
    changer_client.post(url("bulk"), {"action": "retry", "selected": [target(0), target(2)]})
    assert queues.size("a") == 2
    changer_client.post(url("bulk"), {"action": "delete", "selected": [target(1), target(3)]})
    assert failure_api.count() == 2
    assert changer_client.post(url("bulk"), {"action": "explode", "selected": [target(0)]}).status_code == 400


def test_all_matching_asks_then_acts(changer_client, four):
    confirm = changer_client.get(url("all"), {"action": "delete", "exception": "OSError"})
    assert b"Delete all 2 failed job(s) matching: exception OSError?" in confirm.content
    assert failure_api.count() == 4
    changer_client.post(url("all"), {"action": "delete", "exception": "OSError"})
    assert failure_api.count() == 2
    changer_client.post(url("all"), {"action": "retry", "queue": "b"})
    assert queues.size("b") == 1
    assert changer_client.get(url("all"), {"action": "nope"}).status_code == 400


def test_clear_asks_then_clears(changer_client, four):
    assert b"Forget all 4 failed job(s)?" in changer_client.get(url("clear")).content
    changer_client.post(url("clear"))
    assert failure_api.count() == 0
