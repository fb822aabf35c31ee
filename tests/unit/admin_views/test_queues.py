import hashlib

import pytest
from django.urls import reverse

from django_resque import keys
from django_resque import queue as queues
from django_resque.payload import build


def url(name, *args):
    return reverse(f"admin:django_resque_queue_{name}", args=args)


def push(queue, *args, name="X"):
    queues.push(queue, build(name, list(args)))


def named(index, raw):
    raw = raw.encode() if isinstance(raw, str) else raw
    return {"index": str(index), "length": str(len(raw)), "digest": hashlib.sha1(raw).hexdigest()}


def test_queue_list_shows_each_queue_with_its_size(viewer_client):
    push("mail", 1)
    push("mail", 2)
    push("reports", 3)
    response = viewer_client.get(url("changelist"))
    assert response.status_code == 200
    rows = [[cell.text for cell in row.cells] for row in response.context["rows"]]
    assert rows == [["mail", 2], ["reports", 1]]
    assert b'href="%s"' % url("jobs", "mail").encode() in response.content


def test_queue_jobs_are_paginated_and_numbered_from_the_head(viewer_client):
    for n in range(60):
        push("q", n)
    response = viewer_client.get(url("jobs", "q"), {"page": 3})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.cells[0].text for row in rows] == list(range(51, 61))
    assert rows[0].cells[2].text == "[50]"
    assert response.context["page"].paginator.count == 60


def test_a_page_reads_only_its_own_range_of_a_large_queue(viewer_client, fake_redis, monkeypatch):
    pipe = fake_redis.pipeline(transaction=False)
    for n in range(20_000):
        pipe.rpush(keys.queue("big"), '{"class":"X","args":[%d]}' % n)
    pipe.sadd(keys.queues(), "big")
    pipe.execute()
    ranges = []
    real_lrange = fake_redis.lrange
    monkeypatch.setattr(
        fake_redis, "lrange", lambda key, start, end: ranges.append((start, end)) or real_lrange(key, start, end)
    )
    response = viewer_client.get(url("jobs", "big"), {"page": 800})
    assert response.status_code == 200
    assert ranges == [(19_975, 19_999)]
    assert response.context["rows"][-1].cells[2].text == "[19999]"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", ""])
def test_bad_page_numbers_are_404(viewer_client, page):
    push("q", 1)
    assert viewer_client.get(url("jobs", "q"), {"page": page}).status_code == 404
    assert viewer_client.get(url("changelist"), {"page": page}).status_code == 404


def test_an_unknown_or_empty_queue_opens_empty(viewer_client):
    response = viewer_client.get(url("jobs", "nothing-here"))
    assert response.status_code == 200
    assert b"This queue is empty." in response.content


def test_malformed_payloads_render_as_raw_text(viewer_client, fake_redis):
    fake_redis.sadd(keys.queues(), "q")
    fake_redis.rpush(keys.queue("q"), b"not json <b>", b'{"class": 3}', b"\xff\xfe", b'{"class":"Ok","args":[1]}')
    response = viewer_client.get(url("jobs", "q"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "not json &lt;b&gt;" in content
    assert "malformed: &#x27;class&#x27; is missing or not a string" in content
    assert "\ufffd\ufffd" in content
    assert "Ok" in content


def test_job_arguments_are_escaped(viewer_client):
    push("q", "<script>alert(1)</script>", name="<i>Evil</i>")
    push("<b>odd</b>", 1)
    content = viewer_client.get(url("jobs", "q")).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;i&gt;Evil&lt;/i&gt;" in content
    listing = viewer_client.get(url("changelist")).content.decode()
    assert "<b>odd</b>" not in listing and "&lt;b&gt;odd&lt;/b&gt;" in listing


def test_queue_names_with_slashes_have_working_pages(changer_client):
    push("a/clear", 1)
    response = changer_client.get(url("jobs", "a/clear"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
    assert changer_client.get(url("clear", "a/clear")).status_code == 200


def test_viewer_sees_no_action_buttons(viewer_client):
    push("q", 1)
    assert b"Delete" not in viewer_client.get(url("jobs", "q")).content
    assert b"Clear" not in viewer_client.get(url("changelist")).content


def test_delete_job_removes_exactly_that_job(changer_client):
    for n in (1, 2, 3):
        push("q", n)
    raw = build("X", [2]).encode()
    response = changer_client.post(url("delete_job", "q"), {**named(1, raw), "page": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == url("jobs", "q") + "?page=1"
    assert [p.args for p in queues.peek("q", 0, 10)] == [[1], [3]]
    assert "Deleted one job from queue q." in [str(m) for m in response.context["messages"]]


def test_delete_of_a_job_already_gone_says_so_and_removes_nothing(changer_client):
    push("q", 1)
    response = changer_client.post(url("delete_job", "q"), named(0, '{"class":"X","args":[9]}'), follow=True)
    assert queues.size("q") == 1
    assert "no longer in queue q" in " ".join(str(m) for m in response.context["messages"])


def test_delete_form_names_the_exact_stored_bytes(changer_client, fake_redis):
    fake_redis.rpush(keys.queue("q"), b'{"class": "Spaced", "args": [1]}')
    rows = changer_client.get(url("jobs", "q")).context["rows"]
    fields = rows[0].actions[0].fields
    changer_client.post(url("delete_job", "q"), fields)
    assert queues.size("q") == 0


def test_delete_finds_the_job_after_workers_took_jobs_before_it(changer_client, fake_redis):
    for n in range(30):
        push("q", n)
    fields = changer_client.get(url("jobs", "q"), {"page": 2}).context["rows"][0].actions[0].fields
    assert fields["index"] == "25"
    for _ in range(10):
        fake_redis.lpop(keys.queue("q"))
    changer_client.post(url("delete_job", "q"), fields)
    assert [p.args[0] for p in queues.peek("q", 0, 30)] == [n for n in range(10, 30) if n != 25]


def test_a_queue_page_of_large_jobs_stays_small(viewer_client):
    for n in range(25):
        push("q", "x" * 1_000_000, n)
    response = viewer_client.get(url("jobs", "q"))
    assert len(response.content) < 200_000
    row = response.context["rows"][3]
    assert len(row.cells[2].text) == 200 and row.cells[2].text.endswith("\u2026")
    full = viewer_client.get(row.cells[0].url)
    assert full.status_code == 200
    assert b"x" * 1_000_000 in full.content
    assert not full.context["moved"]


def test_the_job_page_says_when_another_job_took_its_place(viewer_client, fake_redis):
    push("q", 1)
    push("q", 2)
    link = viewer_client.get(url("jobs", "q")).context["rows"][1].cells[0].url
    fake_redis.lpop(keys.queue("q"))
    push("q", 3)
    assert viewer_client.get(link).context["moved"]
    fake_redis.delete(keys.queue("q"))
    assert viewer_client.get(link).status_code == 404


@pytest.mark.parametrize("data", [{}, {"index": "1", "length": "x", "digest": "a" * 40}, {"payload": "e30="}])
def test_delete_with_bad_input_is_400_and_removes_nothing(changer_client, data):
    push("q", 1)
    response = changer_client.post(url("delete_job", "q"), data)
    assert response.status_code == 400
    assert b"digest" in response.content
    assert queues.size("q") == 1


def test_clear_asks_first_then_clears(changer_client):
    push("q", 1)
    push("q", 2)
    confirm = changer_client.get(url("clear", "q"))
    assert confirm.status_code == 200
    assert b"Delete all 2 job(s) waiting in queue q?" in confirm.content
    assert queues.size("q") == 2
    response = changer_client.post(url("clear", "q"), follow=True)
    assert response.redirect_chain[-1][0] == url("changelist")
    assert queues.size("q") == 0
    assert queues.names() == ["q"]


def test_breadcrumbs_lead_home_through_the_app(viewer_client):
    push("q", 1)
    content = viewer_client.get(url("jobs", "q")).content.decode()
    assert '<a href="/admin/">Home</a>' in content
    assert '<a href="/admin/django_resque/">Resque</a>' in content
    assert '<a href="%s">Queues</a>' % url("changelist") in content


def test_pagination_links_keep_other_query_parameters(viewer_client):
    for n in range(60):
        push("q", n)
    content = viewer_client.get(url("jobs", "q"), {"page": 2, "refresh": 5}).content.decode()
    assert '<span class="this-page">2</span>' in content
    assert 'href="?refresh=5&amp;page=3"' in content
    assert "60 items" in content
