"""Drive the admin in a real browser: overview, queues, a queue's jobs, delete, clear."""

from __future__ import annotations

import dataclasses
import json

import pytest

from django_resque import delayed, keys, workers
from django_resque import queue as queues
from django_resque.failure import api as failure_api
from django_resque.failure import from_exception, save
from django_resque.payload import build
from django_resque.payload import dumps as payload_dumps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS = "<script>alert(1)</script>"


@pytest.fixture
def seeded(real_redis):
    queues.push_many(
        [
            ("mail", build("shop.jobs.send_welcome_mail", [42])),
            ("mail", build("shop.jobs.send_welcome_mail", [XSS])),
            ("mail", build("shop.jobs.send_welcome_mail", [43])),
            *[("reports", build("shop.jobs.build_report", [f"report-{n}"], {"rows": 5})) for n in range(30)],
        ]
    )
    real_redis.set(keys.stat("processed"), 1234)
    real_redis.set(keys.stat("failed"), 3)


def test_overview_and_queues(admin_page, seeded, screenshot):
    page = admin_page
    page.click("text=Overview")
    page.wait_for_selector("#resque-stats")
    assert "1234" in page.inner_text("#resque-stats")
    assert page.inner_text(".breadcrumbs").split() == ["Home", "\u203a", "Resque", "\u203a", "Overview"]
    screenshot(page, "overview")

    page.click("#resque-queues >> text=mail")
    page.wait_for_selector("#result_list")
    assert XSS in page.inner_text("#result_list")
    assert page.dialogs == []
    screenshot(page, "queue")

    page.click("#result_list tr:nth-child(2) button:has-text('Delete')")
    page.wait_for_selector("text=Deleted one job from queue mail.")
    assert XSS not in page.inner_text("#result_list")
    assert queues.size("mail") == 2
    page.click("#result_list tr:nth-child(2) td:nth-child(1) a")  # the job in full, on its own page
    page.wait_for_selector("#job")
    assert "[43]" in page.inner_text("#job")

    page.goto("/admin/django_resque/queue/")
    screenshot(page, "queues")
    page.click("#result_list tr:has-text('reports') >> text=Clear")
    page.wait_for_selector("text=Delete all 30 job(s) waiting in queue reports?")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Cleared queue reports: 30 job(s) deleted.")
    assert queues.size("reports") == 0
    assert page.dialogs == []


def test_live_refresh_reloads_the_overview(admin_page, seeded):
    page = admin_page
    page.goto("/admin/django_resque/overview/")
    page.click("text=every 2s")
    page.wait_for_selector("#resque-stats")
    queues.push("mail", build("X", [1]))
    page.wait_for_function("document.querySelector('#resque-stats td').textContent.trim() === '34'", timeout=30_000)


def test_delayed_jobs_and_schedules(admin_page, real_redis, screenshot, settings):
    settings.RESQUE = {
        **settings.RESQUE,
        "SCHEDULE": {"nightly_report": {"cron": "30 1 * * *", "class": "RubyNamed", "queue": "reports", "args": [7]}},
    }
    stamp = 4_000_000_000
    delayed.schedule(stamp, "mail", build("shop.jobs.send_welcome_mail", [XSS]))
    delayed.schedule(stamp, "mail", build("shop.jobs.send_welcome_mail", [44]))
    page = admin_page
    page.click("#content-main a:has-text('Delayed jobs')")
    page.wait_for_selector("#result_list")
    screenshot(page, "delayed")
    page.click("#result_list >> text=2096-10-02 07:06:40 UTC")
    page.wait_for_selector("#result_list")
    assert XSS in page.inner_text("#result_list")
    page.click("#result_list tr:has-text('44') button:has-text('Enqueue now')")
    page.wait_for_selector("text=Enqueued the delayed job now.")
    assert [p.args for p in queues.peek("mail", 0, 5)] == [[44]]

    page.click("#nav-sidebar >> text=Schedules")
    page.wait_for_selector("#result_list")
    screenshot(page, "schedules")
    page.click("#result_list tr:has-text('nightly_report') button:has-text('Run now')")
    page.wait_for_selector("text=Enqueued schedule nightly_report now on queue reports.")
    assert [p.args for p in queues.peek("reports", 0, 5)] == [[7]]
    assert page.dialogs == []


def _fail(name, args, queue, exception):
    """Record a failure with a backtrace of relative paths: the screenshots are committed."""
    record = from_exception(exception("could not %s" % name), {"class": name, "args": args}, "web-1:4242:mail", queue)
    backtrace = ["django_resque/worker/perform.py:41:in `perform'", "testproject/shop/jobs.py:27:in `%s'" % name]
    save(dataclasses.replace(record, backtrace=backtrace))


def test_failed_jobs_retry_one_and_see_it_marked(admin_page, real_redis, screenshot):
    _fail("shop.jobs.send_welcome_mail", [42], "mail", ConnectionError)
    _fail("shop.jobs.send_welcome_mail", [XSS], "mail", ValueError)
    _fail("shop.jobs.build_report", ["report-7"], "reports", KeyError)
    page = admin_page
    page.click("#content-main a:has-text('Failed jobs')")
    page.wait_for_selector("#result_list")
    assert XSS not in page.content()  # arguments are only on the detail page
    screenshot(page, "failed")

    page.click("#result_list tr:nth-child(2) a:has-text('shop.jobs.send_welcome_mail')")
    page.wait_for_selector("#backtrace")
    assert XSS in page.inner_text("#failure")
    assert "testproject/shop/jobs.py:27" in page.inner_text("#backtrace")
    assert page.dialogs == []
    screenshot(page, "failed-detail")

    page.click(".object-tools button:has-text('Retry')")
    page.wait_for_selector("text=Retried failed job #1 (shop.jobs.send_welcome_mail).")
    retried = page.inner_text("#result_list tr:nth-child(2)")
    assert "UTC" in retried.split("ValueError")[-1]  # the "Retried at" column is filled
    assert [p.args for p in queues.peek("mail", 0, 5)] == [[XSS]]

    page.click("#result_list tr:nth-child(1) button:has-text('Delete')")
    page.wait_for_selector("text=Deleted failed job #0")
    assert failure_api.count() == 2
    page.fill("#filter-queue", "reports")
    page.click("input[value=Filter]")
    page.wait_for_selector("text=Records 1 to 2 of 2 read")
    assert "build_report" in page.inner_text("#result_list")


def test_failed_jobs_bulk_actions_show_their_progress_and_result(admin_page, real_redis):
    for n in range(3000):
        _fail("shop.jobs.build_report", [n], "reports", KeyError if n % 3 else OSError)
    page = admin_page
    page.goto("/admin/django_resque/failedjob/")
    page.check("#result_list tr:nth-child(1) input[name=selected]")
    page.check("#result_list tr:nth-child(3) input[name=selected]")
    page.click("#bulk button:has-text('Retry selected')")
    page.wait_for_selector("text=Retried 2 failed job(s).")
    assert [p.args for p in queues.peek("reports", 0, 5)] == [[0], [2]]

    page.fill("#filter-exception", "OSError")
    page.click("input[value=Filter]")
    page.click(".object-tools a:has-text('Delete all matching')")
    page.wait_for_selector("text=Delete every failed job matching exception OSError?")
    page.click("input[value='Yes, delete them']")
    page.wait_for_selector("#bulk-run[data-state=done]", timeout=60_000)
    assert "Deleted 1000 failed job(s)." in page.inner_text("#bulk-run-result")
    assert page.get_attribute("#bulk-run progress", "value") == "100"
    page.click("a:has-text('Back to the failed jobs')")
    page.wait_for_selector("text=No failed jobs match these filters here.")
    assert failure_api.count() == 2000

    page.click("a:has-text('Reset')")
    page.click(".object-tools a:has-text('Retry all')")
    page.wait_for_selector("text=Retry all 2000 failed job(s)?")
    page.click("input[value='Yes, retry them']")
    page.wait_for_selector("#bulk-run[data-state=done]", timeout=60_000)
    assert "Retried 2000 failed job(s)." in page.inner_text("#bulk-run-result")
    assert queues.size("reports") == 2002
    assert page.dialogs == []


def test_workers_and_prune_a_stale_one(admin_page, real_redis, screenshot):
    busy, idle, gone = "web-1:4242:mail,reports", "web-2:5151:*", "web-3:777:payments"
    for worker_id in (busy, idle, gone):
        workers.register(worker_id)
    real_redis.set(
        keys.worker(busy),
        payload_dumps(
            {"queue": "mail", "run_at": "2026-11-22T13:09:08Z", "payload": {"class": "send_mail", "args": [XSS]}}
        ),
    )
    real_redis.hset(keys.heartbeats(), gone, "2026-01-01T00:00:00+00:00")
    page = admin_page
    page.click("#content-main a:has-text('Workers')")
    page.wait_for_selector("#result_list")
    assert XSS in page.inner_text("#result_list")
    assert "(stale)" in page.inner_text("#result_list tr:has-text('web-3')")
    screenshot(page, "workers")
    page.click("#result_list tr:has-text('web-3') button:has-text('Prune')")
    page.wait_for_selector("text=Pruned 1 stale worker(s): web-3:777:payments.")
    assert [info.id for info in workers.all_workers()] == [busy, idle]
    assert page.dialogs == []


def test_workers_grouped_by_host_and_pool_with_the_pools_listed(admin_page, real_redis):
    for worker_id in ("web-1:5:solo", "web-1:101:mail", "web-1:100:mail", "web-0:9:mail"):
        workers.register(worker_id)
    real_redis.zadd(keys.pools(), {"web-1:99": 4102444800})
    lines = json.dumps({"mail": 2, XSS: 1})
    real_redis.hset(keys.pool("web-1:99"), mapping={"lines": lines, "workers": '{"100": "mail", "101": "mail"}'})
    page = admin_page
    page.click("#content-main a:has-text('Workers')")
    page.wait_for_selector(".resque-pools")
    assert "mail 2/2, %s 0/1" % XSS in page.inner_text(".resque-pools")
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert [row.split("\t")[:2] for row in rows] == [["web-0", "9"], ["web-1", "100"], ["web-1", "101"], ["web-1", "5"]]
    assert [row.rstrip().rsplit("\t", 1)[-1] for row in rows[1:3]] == ["pool 99", "pool 99"]
    assert page.dialogs == []


def test_cancel_a_queued_job_from_its_queue_and_follow_it_by_id(admin_page, real_redis):
    from tests.support import jobs

    first, second = jobs.remember.delay(XSS), jobs.remember.delay("kept")
    page = admin_page
    page.goto("/admin/django_resque/queue/test/jobs/")
    page.wait_for_selector("#result_list")
    assert first.id in page.inner_text("#result_list")
    page.click(f"#result_list tr:has-text('{first.id}') button:has-text('Cancel')")
    page.wait_for_selector(f"text=Job {first.id} is cancelled.")
    assert "cancelled" in page.inner_text("#job-status")
    assert page.dialogs == []

    page.goto("/admin/django_resque/queue/test/jobs/1/")  # the second job in full, with its Cancel
    page.wait_for_selector("#job")
    page.click("#job >> text=%s" % second.id)
    page.wait_for_selector("#job-status")
    assert "queued" in page.inner_text("#job-status")
    page.click("button:has-text('Cancel')")
    page.wait_for_selector(f"text=Job {second.id} is cancelled.")
