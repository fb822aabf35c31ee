"""resque-web (Resque::Server with resque-scheduler's tabs) over a Redis our fleet writes."""

from __future__ import annotations

import re
import socket
import urllib.parse

import pytest

from django_resque import info
from django_resque.scheduler import dynamic, runs
from tests.support import jobs

from .conftest import done, failures, get, wait_until


@pytest.fixture
def our_fleet(real_redis, start_worker):
    """Our worker, a failure, queued and delayed jobs, a schedule: something on every page."""
    jobs.explode.delay("shown")
    worker = start_worker("--queues", "test")
    wait_until(lambda: failures(real_redis), what="our failure")
    jobs.remember.enqueue_to("waiting", "queued")
    jobs.add.enqueue_in(600, 1, 2, scale=3)
    dynamic.set_schedule("nightly", {"cron": "0 3 * * *", "class": jobs.remember.name, "args": ["x"], "queue": "test"})
    return f"{socket.gethostname()}:{worker.pid}:test"


def test_every_page_answers_over_our_data(resque_web, our_fleet, real_redis):
    stamp = real_redis.zrange("resque:delayed_queue_schedule", 0, 0)[0].decode()
    pages = [
        "/overview", "/working", "/queues", "/queues/waiting", "/workers", f"/workers/{our_fleet}",
        "/failed", "/failed/failed", "/stats", "/stats/resque", "/stats/redis", "/stats/keys",
        "/stats/keys/resque:failed", "/stats.txt", "/schedule", "/delayed", f"/delayed/{stamp}",
        "/delayed/jobs/tests.support.jobs.add?args=" + urllib.parse.quote("[1,2,{\"scale\":3}]"),
    ]  # fmt: skip
    statuses = {page: get(resque_web + urllib.parse.quote(page, safe="/?=&%"))[0] for page in pages}
    assert statuses == dict.fromkeys(pages, 200)
    assert our_fleet in get(resque_web + "/workers")[1]
    assert "Boom" in get(resque_web + "/failed/failed")[1]


def test_resque_web_counts_failed_as_we_do(resque_web, our_fleet, real_redis):
    stats = get(resque_web + "/stats.txt")[1]
    assert re.search(r"resque\.failed\+=(\d+)", stats).group(1) == str(info()["failed"]) == "1"


def test_the_schedule_tab_shows_when_our_scheduler_last_fired(resque_web, our_fleet, real_redis):
    entry = runs.load_entry("nightly")
    runs.fire(entry, None, runs.Plan(run=1, fire=True, missed=0))
    stamp = real_redis.hget("resque:delayed:last_enqueued_at", "nightly").decode()
    page = get(resque_web + "/schedule")[1]
    assert "nightly" in page and stamp in page


def test_resque_webs_retry_runs_our_job_with_its_keywords(resque_web, real_redis, start_worker):
    jobs.scaled_until_flag.delay("flag:web", scale=5)
    assert start_worker("--queues", "test", "--burst").wait() == 0
    real_redis.set("flag:web", 1)
    assert get(resque_web + "/failed/requeue/0")[0] == 200  # its Retry link (it redirects)
    assert start_worker("--queues", "test", "--burst").wait() == 0
    assert done(real_redis) == [{"flagged": "flag:web", "scale": 5}]
