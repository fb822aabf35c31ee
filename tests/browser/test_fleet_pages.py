"""The fleet at a glance in a real browser: charts drawn from what a real worker did, the
Redis page, and Find a job finding a running, a queued, a delayed and a failed job."""

from __future__ import annotations

import json

import pytest

from django_resque import delayed, history, keys
from django_resque import queue as queues
from django_resque.payload import build
from tests.integration.worker.conftest import WorkerProcess, wait_until
from tests.support import jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(redis_url, real_redis, tmp_path, monkeypatch):
    """start(*args) -> a real ``resque_work`` (durations recorded); all killed at teardown."""
    monkeypatch.setenv("RESQUE_TEST_SETTINGS", json.dumps({"DURATION_METRICS": True}))
    started: list[WorkerProcess] = []

    def start(*args: str) -> WorkerProcess:
        process = WorkerProcess(list(args), redis_url, tmp_path / f"worker-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def _counted(client) -> int:
    """Jobs counted in the history's minutes so far."""
    return sum(int(client.hget(key, "processed") or 0) for key in client.scan_iter(keys.history_prefix() + "minute:*"))


def _table_total(page, chart: str, column: int) -> int:
    """The sum of a column of a chart's numbers table, as the page shows it."""
    cells = page.locator(f"#chart-{chart} details tbody tr td:nth-child({column})").all_inner_texts()
    return sum(int(text) for text in cells if text.strip().isdigit())


def test_charts_show_what_a_real_worker_did_and_refresh_live(admin_page, real_redis, worker, screenshot):
    for n in range(6):
        jobs.add.delay(n, n)
    jobs.nap.delay(0.3)
    jobs.explode.delay("on purpose")
    jobs.explode.delay("again")
    process = worker("--queues", "test")  # samples the depth (9 waiting) as it registers
    wait_until(lambda: _counted(real_redis) == 9, what="the worker's nine jobs in the history")
    wait_until(lambda: history.slowest(history.SPANS["hour"]), what="the durations")

    page = admin_page
    page.goto("/admin/django_resque/overview/")
    page.wait_for_selector("#chart-throughput svg polyline.processed")
    page.click("#chart-throughput summary")
    assert _table_total(page, "throughput", 2) == 9 and _table_total(page, "throughput", 3) == 2
    page.click("#chart-depth summary")
    assert "9" in page.locator("#chart-depth details tbody").inner_text()
    page.click("#chart-slowest summary")
    slowest = page.inner_text("#chart-slowest")
    assert "tests.support.jobs.nap" in slowest and "tests.support.jobs.add" in slowest
    assert page.locator("#chart-slowest svg rect").count() == 2
    assert page.inner_text("#resque-charts").count("write no history") == 0
    page.click("#chart-throughput summary")
    page.click("#chart-depth summary")
    page.click("#chart-slowest summary")
    screenshot(page, "charts")

    page.click("text=Last 7 days")
    page.wait_for_selector("#resque-charts strong:has-text('Last 7 days')")
    page.goto("/admin/django_resque/queue/test/jobs/")
    page.wait_for_selector("#chart-throughput svg polyline.failed")
    page.click("#chart-throughput summary")
    assert _table_total(page, "throughput", 2) == 9
    page.click("#chart-slowest summary")
    slowest = page.inner_text("#chart-slowest")
    assert "of this queue" in slowest
    assert "tests.support.jobs.nap" in slowest and "tests.support.jobs.add" in slowest
    assert page.locator("#chart-slowest svg rect").count() == 2
    page.click("#chart-slowest summary")
    page.click("#chart-throughput summary")
    screenshot(page, "queue-charts")
    stats = page.request.get("/admin/django_resque/overview/stats.json?queue=test").json()["history"]
    assert {row["job"] for row in stats["slowest"]} == {"tests.support.jobs.nap", "tests.support.jobs.add"}

    page.goto("/admin/django_resque/overview/?refresh=2")
    page.click("#chart-throughput summary")
    jobs.add.delay(1, 1)
    jobs.add.delay(2, 2)
    page.wait_for_function(
        """() => [...document.querySelectorAll('#chart-throughput details tbody tr td:nth-child(2)')]
                 .reduce((sum, td) => sum + Number(td.textContent), 0) === 11""",
        timeout=30_000,
    )
    process.stop()


def test_ruby_workers_in_the_fleet_are_named_on_the_charts(admin_page, real_redis):
    real_redis.sadd(keys.workers(), "ruby-host:4242:mail")
    admin_page.goto("/admin/django_resque/overview/")
    assert "1 of 1 workers write no history" in admin_page.inner_text("#resque-charts")


def test_the_redis_page(admin_page, real_redis, screenshot):
    queues.push("mail", build("shop.jobs.send_welcome_mail", [42]))
    real_redis.set(keys.stat("processed"), 12)
    page = admin_page
    page.goto("/admin/django_resque/overview/")
    page.click("#resque-redis-link")
    page.wait_for_selector("#resque-server")
    server = page.inner_text("#resque-server")
    assert "Version" in server and "Operations per second" in server and "Keyspace db0" in server
    listed = page.inner_text("#result_list")
    assert "queue:mail" in listed and "list" in listed and "stat:processed" in listed
    screenshot(page, "redis")


def test_find_a_running_a_queued_a_delayed_and_a_failed_job(admin_page, real_redis, worker, screenshot):
    failing = jobs.explode.delay("needle-failed")
    jobs.sleepy.delay(60, "needle-running")
    queues.push("mail", build("shop.jobs.send_welcome_mail", ["needle-queued"]))
    delayed.schedule(4_000_000_000, "mail", build("shop.jobs.send_reminder", ["needle-delayed"]))
    worker("--queues", "test")
    wait_until(lambda: real_redis.llen(keys.failed()) == 1, what="the failure")
    wait_until(
        lambda: any(
            b"needle-running" in (real_redis.get(keys.worker(wid.decode())) or b"")
            for wid in real_redis.smembers(keys.workers())
        ),
        what="the running job",
    )

    page = admin_page
    page.goto("/admin/django_resque/overview/")
    page.fill("#resque-q", "NEEDLE")
    page.click("#find-job button")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert [row.split()[0].rstrip(",") for row in rows] == ["Running", "Queued", "Delayed", "Failed"]
    assert "needle-running" in rows[0] and "needle-queued" in rows[1]
    assert "needle-delayed" in rows[2] and "needle-failed" in rows[3]
    screenshot(page, "find")

    page.click("#result_list tbody tr:nth-child(4) a")
    page.wait_for_selector("#failure")
    assert "needle-failed" in page.inner_text("#failure")

    page.goto("/admin/django_resque/overview/")
    page.fill("#resque-q", failing.id)  # by its id: its status, and where it is
    page.click("#find-job button")
    page.wait_for_selector("#resque-by-id")
    assert "is failed" in page.inner_text("#resque-by-id")
    assert page.locator("#result_list tbody tr").all_inner_texts()[0].startswith("Failed")
