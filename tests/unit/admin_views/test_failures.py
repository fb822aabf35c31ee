import pytest
from django.urls import reverse

from django_resque import keys
from django_resque import queue as queues
from django_resque.admin_views import bulk_runs, failures
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
    assert len(response.context["rows"]) == expected
    assert response.context["cursor"]["read"] == "Records 1 to 4 of 4 read"
    assert not response.context["cursor"]["next_url"]


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


def _run_id(response):
    assert response.status_code == 302
    run_id = response.url.split("/run/")[1].split("/")[0]
    bulk_runs.wait(run_id, 10)
    return run_id


def test_all_matching_asks_then_runs_in_the_background(changer_client, four):
    confirm = changer_client.get(url("all"), {"action": "delete", "exception": "OSError"})
    assert b"Delete every failed job matching exception OSError? Each of the 4 recorded" in confirm.content
    assert failure_api.count() == 4
    run_id = _run_id(changer_client.post(url("all"), {"action": "delete", "exception": "OSError"}))
    assert failure_api.count() == 2
    page = changer_client.get(url("run", run_id, exception="OSError"))
    assert b"Deleted 2 failed job(s)." in page.content
    assert page.context["refresh"] is None
    assert b"?exception=OSError" in page.content  # back to the filtered list
    _run_id(changer_client.post(url("all"), {"action": "retry", "queue": "b"}))
    assert queues.size("b") == 1
    assert changer_client.get(url("all"), {"action": "nope"}).status_code == 400


def test_the_run_page_reloads_while_running_and_says_when_it_stalled(viewer_client, fake_redis):
    bulk_runs._write("r1", {"label": "Retry all failed jobs", "state": "running"}, api_progress(3, 10))
    page = viewer_client.get(url("run", "r1"))
    assert page.context["refresh"] == 1
    assert b"Retried 3 failed job(s) so far: 3 of about 10 records checked." in page.content
    assert b'value="30"' in page.content
    fake_redis.hset(keys.bulk_run("r1"), "updated", "1")
    assert b"Stopped without finishing" in viewer_client.get(url("run", "r1")).content
    assert viewer_client.get(url("run", "nope")).status_code == 404


def test_a_failed_run_shows_why(changer_client, four, monkeypatch):
    def refuse(**kwargs):
        raise failure_api.StaleFailureError("the list kept changing")

    monkeypatch.setattr(failure_api, "retry_all", refuse)
    run_id = _run_id(changer_client.post(url("all"), {"action": "retry"}))
    assert b"Stopped: the list kept changing" in changer_client.get(url("run", run_id)).content


def api_progress(done, total):
    return failure_api.Progress(done=done, seen=done, total=total)


def test_selected_reads_only_the_selected_records(changer_client, four, fake_redis, monkeypatch):
    selected = [target(1), target(3)]
    monkeypatch.setattr(type(fake_redis), "lrange", lambda *args: pytest.fail("read a range"))
    changer_client.post(url("bulk"), {"action": "delete", "selected": selected})
    assert fake_redis.llen(keys.failed()) == 2


def test_at_most_a_few_pages_can_be_selected(changer_client, four):
    selected = [target(0)] * (failures.MAX_SELECTED + 1)
    assert changer_client.post(url("bulk"), {"action": "delete", "selected": selected}).status_code == 400


def test_a_page_reads_only_its_records(viewer_client, fake_redis, monkeypatch):
    for n in range(60):
        fail(n)
    ranges = []
    real = type(fake_redis).lrange
    monkeypatch.setattr(
        type(fake_redis), "lrange", lambda self, key, a, b: ranges.append((a, b)) or real(self, key, a, b)
    )
    assert len(viewer_client.get(url("changelist"), {"page": "2"}).context["rows"]) == 25
    assert ranges == [(25, 49)]


def test_a_filtered_page_reads_a_bounded_number_of_records(viewer_client, fake_redis, monkeypatch):
    monkeypatch.setattr(failure_api, "SCAN_BUDGET", 10)
    for n in range(30):
        fail(n, exception=OSError if n in (2, 25) else KeyError)
    first = viewer_client.get(url("changelist"), {"exception": "OSError"})
    assert [row.cells[4].text for row in first.context["rows"]] == ["boom 2"]
    assert first.context["cursor"]["read"] == "Records 1 to 10 of 30 read"
    assert first.context["cursor"]["next_url"].endswith("exception=OSError&from=10")
    later = viewer_client.get(url("changelist"), {"exception": "OSError", "from": "20"})
    assert [row.cells[4].text for row in later.context["rows"]] == ["boom 25"]
    assert later.context["cursor"]["read"] == "Records 21 to 30 of 30 read"
    assert viewer_client.get(url("changelist"), {"exception": "OSError", "from": "x"}).status_code == 404


def test_clear_asks_then_clears(changer_client, four):
    assert b"Forget all 4 failed job(s)?" in changer_client.get(url("clear")).content
    changer_client.post(url("clear"))
    assert failure_api.count() == 0
