import datetime as dt

import pytest
from django.urls import reverse

from django_resque import keys, workers


def url(name):
    return reverse(f"admin:django_resque_worker_{name}")


@pytest.fixture
def some_workers(fake_redis):
    busy, idle, dead = "h1:10:mail,reports", "h1:11:*", "h2:12:mail"
    for wid in (busy, idle, dead):
        workers.register(wid)
    fake_redis.set(
        keys.worker(busy),
        '{"queue":"mail","run_at":"2026-11-22T13:09:08Z","payload":{"class":"Send","args":["<b>x</b>"],"id":"j1"}}',
    )
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC).isoformat()
    fake_redis.hset(keys.heartbeats(), dead, old)
    return busy, idle, dead


def test_list_shows_each_worker(viewer_client, some_workers):
    response = viewer_client.get(url("changelist"))
    assert response.status_code == 200
    rows = {row.cells[1].text: row for row in response.context["rows"]}
    assert rows[10].cells[3].text == "working"
    assert rows[10].cells[4].text == 'Send ["<b>x</b>"]'
    assert rows[10].cells[4].url == reverse("admin:django_resque_overview_job", args=["j1"])  # its job page
    assert rows[11].cells[3].text == "idle"
    assert "(stale)" in rows[12].cells[8].text
    content = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in content and "<b>x</b>" not in content


def test_only_stale_workers_get_a_prune_button(changer_client, some_workers):
    rows = changer_client.get(url("changelist")).context["rows"]
    assert [bool(row.actions) for row in rows] == [False, False, True]


def test_prune_one_stale_worker(changer_client, some_workers):
    busy, idle, dead = some_workers
    changer_client.post(url("prune"), {"worker": dead})
    assert [w.id for w in workers.all_workers()] == [busy, idle]


def test_a_fresh_worker_is_not_pruned(changer_client, some_workers):
    _busy, idle, _dead = some_workers
    response = changer_client.post(url("prune"), {"worker": idle}, follow=True)
    assert len(workers.all_workers()) == 3
    assert "Nothing pruned" in " ".join(str(m) for m in response.context["messages"])


def test_prune_every_stale_worker(changer_client, some_workers):
    changer_client.post(url("prune"), {"worker": "*"})
    assert len(workers.all_workers()) == 2


def test_prune_needs_a_worker(changer_client, some_workers):
    assert changer_client.post(url("prune"), {}).status_code == 400


def test_workers_are_grouped_by_host_then_pool_and_pools_listed(viewer_client, fake_redis):
    for wid in ("h1:30:solo", "h1:21:mail", "h1:20:mail", "h1:22:reports", "h0:40:mail"):
        workers.register(wid)
    fake_redis.zadd(keys.pools(), {"h1:7": 4102444800})
    record = {"lines": '{"mail": 2, "reports": 2}', "workers": '{"20": "mail", "21": "mail", "22": "reports"}'}
    fake_redis.hset(keys.pool("h1:7"), mapping={**record, "started": "2026-12-03 08:00:00 +0000"})
    response = viewer_client.get(url("changelist"))
    rows = [(row.cells[0].text, row.cells[1].text, row.cells[9].text) for row in response.context["rows"]]
    assert rows == [("h0", 40, ""), ("h1", 20, "pool 7"), ("h1", 21, "pool 7"), ("h1", 22, "pool 7"), ("h1", 30, "")]
    [pool] = response.context["pools"]
    assert pool == {
        "host": "h1",
        "pid": 7,
        "started": "2026-12-03 08:00:00 +0000",
        "lines": "mail 2/2, reports 1/2",
        "workers": 3,
    }
    assert "mail 2/2, reports 1/2" in response.content.decode()
