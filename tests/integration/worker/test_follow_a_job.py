"""Done when (issue 15): a view returns a job's id, a real worker runs it, a second request reads it."""

import pytest

from django_resque import fetch
from tests.support import jobs

from .conftest import done, wait_until


@pytest.mark.urls("tests.support.views")
@pytest.mark.django_db
def test_a_view_returns_the_id_and_a_second_request_reads_status_and_result(client, real_redis, start_worker):
    started = client.post("/jobs/", {"value": 21})
    assert started.status_code == 202
    job_id = started.json()["job"]
    assert client.get(f"/jobs/{job_id}/").json()["status"] == "queued"
    worker = start_worker("--queues", "test")

    def over() -> dict | None:
        body = client.get(f"/jobs/{job_id}/").json()
        return body if body["status"] == "finished" else None

    body = wait_until(over, timeout=30, what="the job to finish")
    assert body["result"] == {"doubled": 42}
    assert body["worker"].split(":")[1] == str(worker.pid)
    assert client.get("/jobs/%s/" % ("0" * 32)).status_code == 404  # not this session's job


def test_cancel_a_queued_job_and_a_worker_drops_it(real_redis, start_worker):
    dropped = jobs.remember.delay("never")
    kept = jobs.remember.delay("after")
    dropped.cancel()
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    assert [note["value"] for note in done(real_redis)] == ["after"]
    assert (fetch(dropped.id).status, fetch(kept.id).status) == ("cancelled", "finished")
    assert f"Job {dropped.id} tests.support.jobs.remember from test was cancelled" in worker.output()


def test_a_delayed_job_cancelled_leaves_the_schedule(real_redis):
    later = jobs.remember.enqueue_in(600, "later")
    assert fetch(later.id).status == "scheduled"
    assert later.cancel().status == "cancelled"
    assert real_redis.keys("resque:delayed*") == [] and real_redis.zcard("resque:delayed_queue_schedule") == 0
