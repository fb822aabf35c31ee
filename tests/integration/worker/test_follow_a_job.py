"""Done when (issue 15): a view returns a job's id, a real worker runs it, a second request reads it;
cancel of a queued, a delayed, a taken-but-not-started (dropped at reserve) and a running job."""

import time

import pytest

from django_resque import fetch
from tests.support import jobs

from .conftest import child_pid, done, pid_alive, wait_until


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


def test_cancel_a_running_job_leaves_it_and_with_kill_ends_its_process(real_redis, start_worker):
    start_worker("--queues", "test")
    running = jobs.sleepy.delay(60, "cancelled")
    pid = child_pid(real_redis, "cancelled")
    assert fetch(running.id).status == "running"
    left = running.cancel()
    assert left.status == "running" and "kill=True" in left.reason
    assert pid_alive(pid)
    assert "was asked to end it" in running.cancel(kill=True).reason
    wait_until(lambda: not pid_alive(pid), what="the job process to end")
    ended = running.wait(timeout=30)
    assert (ended.status, ended.exception) == ("failed", "Resque::DirtyExit")
    assert "cancel(kill=True)" in ended.error
    after = jobs.remember.delay("after")
    assert after.wait(timeout=30).status == "finished"  # the worker goes on


def test_a_kill_for_another_job_leaves_this_one_running(real_redis, start_worker):
    start_worker("--queues", "test")
    running = jobs.sleepy.delay(60, "other")
    pid = child_pid(real_redis, "other")
    real_redis.publish("resque:django_resque:kill", "someone-else")
    real_redis.publish("resque:django_resque:kill", b"\xff\xfe")
    time.sleep(0.5)
    assert pid_alive(pid) and fetch(running.id).status == "running"
