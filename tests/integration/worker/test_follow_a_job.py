"""Done when (issue 15): a view returns a job's id, a real worker runs it, a second request reads it;
cancel of a queued, a delayed, a taken-but-not-started (dropped at reserve) and a running job."""

import signal
import time

import pytest

from django_resque import fetch, keys
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


def _connections_received(client) -> int:
    return int(client.info("stats")["total_connections_received"])


def test_fork_per_job_results_are_stored_by_the_worker_and_job_processes_open_no_connection(real_redis, start_worker):
    start_worker("--queues", "test")
    assert jobs.doubled.delay(0).wait(timeout=30).result == {"doubled": 0}  # the worker and its spare are up
    before = _connections_received(real_redis)
    queued = [jobs.doubled.delay(n) for n in range(1, 6)]
    results = [handle.wait(timeout=30) for handle in queued]
    assert [(r.status, r.result) for r in results] == [("finished", {"doubled": 2 * n}) for n in range(1, 6)]
    assert _connections_received(real_redis) == before  # five jobs, five results: no connection more
    assert 590 < real_redis.ttl(keys.job_record(queued[0].id)) <= 600  # the result's TTL


def test_a_result_too_large_for_the_pipe_is_stored_by_its_job_process(real_redis, start_worker):
    start_worker("--queues", "test")
    assert jobs.sized.delay(10).wait(timeout=30).result == "x" * 10
    before = _connections_received(real_redis)
    large = jobs.sized.delay(70_000).wait(timeout=30)
    assert (large.status, large.result) == ("finished", "x" * 70_000)
    assert _connections_received(real_redis) == before + 1  # the job process's own


@pytest.mark.parametrize("mode", [["--no-fork"], ["--jobs-per-fork", "3"], ["--no-prefork"]])
def test_results_are_kept_in_every_mode(real_redis, start_worker, mode):
    worker = start_worker("--queues", "test", "--burst", *mode)
    queued = [jobs.doubled.delay(n) for n in range(4)] + [jobs.sized.delay(70_000)]
    assert worker.wait() == 0, worker.output()
    assert [fetch(q.id).result for q in queued] == [{"doubled": 2 * n} for n in range(4)] + ["x" * 70_000]


def test_a_job_process_whose_worker_died_before_storing_its_result_stores_it(real_redis, start_worker):
    worker = start_worker("--queues", "test")
    queued = jobs.sleepy_result.delay(0.3, "unstored")
    pid = child_pid(real_redis, "unstored")
    worker.signal(signal.SIGSTOP)  # reads no "done" and reserves nothing until it dies
    wait_until(lambda: {"finished": "unstored"} in done(real_redis), what="the job to end")
    time.sleep(0.3)
    assert pid_alive(pid) and fetch(queued.id).status == "running"  # handed to the worker, awaiting its word
    worker.signal(signal.SIGKILL)
    worker.wait()
    wait_until(lambda: not pid_alive(pid), what="the job process to end")
    kept = fetch(queued.id)
    assert (kept.status, kept.result) == ("finished", {"slept": "unstored"})
    assert 590 < real_redis.ttl(keys.job_record(queued.id)) <= 600
