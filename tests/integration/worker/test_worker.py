"""The worker as a real process on a real Redis: order, registry, stats, failures."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import socket

import django_resque
from tests.support import jobs

from .conftest import done, failures, wait_until


def test_priority_order_looks_at_the_first_queue_again_after_every_job(real_redis, start_worker):
    for n in range(3):
        jobs.remember.enqueue_to("low", f"low-{n}")
    for n in range(2):
        jobs.remember.enqueue_to("high", f"high-{n}")
    worker = start_worker("--queues", "high,low", "--burst")
    assert worker.wait() == 0, worker.output()
    assert [note["value"] for note in done(real_redis)] == ["high-0", "high-1", "low-0", "low-1", "low-2"]


def test_wildcard_works_every_queue_alphabetically(real_redis, start_worker):
    jobs.remember.enqueue_to("zeta", "z")
    jobs.remember.enqueue_to("alpha", "a")
    jobs.remember.enqueue_to("mid", "m")
    worker = start_worker("--queues", "*", "--burst")
    assert worker.wait() == 0, worker.output()
    assert [note["value"] for note in done(real_redis)] == ["a", "m", "z"]


def test_burst_exits_when_empty_and_leaves_no_registration(real_redis, start_worker):
    jobs.remember.delay(1)
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    assert real_redis.smembers("resque:workers") == set()
    assert real_redis.hgetall("resque:workers:heartbeat") == {}
    assert real_redis.get("resque:stat:processed") == b"1"
    assert "Job " in worker.output() and " done in " in worker.output()


def test_registry_and_record_while_working_match_ruby(real_redis, start_worker):
    worker = start_worker("--queues", "test,other")
    wid = f"{socket.gethostname()}:{worker.pid}:test,other"
    wait_until(lambda: real_redis.sismember("resque:workers", wid), what="registration")
    started = real_redis.get(f"resque:worker:{wid}:started").decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", started)
    beat = real_redis.hget("resque:workers:heartbeat", wid).decode()
    assert dt.datetime.fromisoformat(beat).utcoffset() is not None
    handle = jobs.sleepy.delay(2, "registry")
    raw = wait_until(lambda: real_redis.get(f"resque:worker:{wid}"), what="job record")
    record = json.loads(raw)
    assert list(record) == ["queue", "run_at", "payload"]
    assert record["queue"] == "test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["run_at"])
    assert record["payload"] == {"class": "tests.support.jobs.sleepy", "args": [2, "registry"], "id": handle.id}
    assert django_resque.info()["working"] == 1
    wait_until(lambda: real_redis.get(f"resque:worker:{wid}") is None, what="job finished")
    assert real_redis.get(f"resque:stat:processed:{wid}") == b"1"


def test_stats_count_every_job_and_every_failure(real_redis, start_worker):
    jobs.remember.delay(1)
    jobs.explode.delay("one")
    jobs.remember.delay(2)
    jobs.explode.delay("two")
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    assert real_redis.get("resque:stat:processed") == b"4"
    assert real_redis.get("resque:stat:failed") == b"2"
    assert [f["exception"] for f in failures(real_redis)] == ["Boom", "Boom"]


def test_unknown_names_and_malformed_payloads_fail_and_never_run(real_redis, start_worker, tmp_path):
    marker = tmp_path / "ran"
    handle = django_resque.enqueue_to("test", "os.system", f"touch {marker}")
    real_redis.sadd("resque:queues", "test")
    real_redis.rpush("resque:queue:test", b"{not json")
    real_redis.rpush("resque:queue:test", b"\xff\xfe binary")
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    assert not marker.exists()
    recorded = failures(real_redis)
    assert [f["exception"] for f in recorded] == ["UnknownJobError", "MalformedPayloadError", "MalformedPayloadError"]
    assert recorded[0]["payload"] == {"class": "os.system", "args": [f"touch {marker}"], "id": handle.id}
    assert recorded[1]["payload"] == {"raw": "{not json"}
    assert "binary" in recorded[2]["payload"]["raw"]
    assert real_redis.get("resque:stat:failed") == b"3"


def test_hooks_run_in_resque_order(real_redis, start_worker):
    jobs.Hooked.delay("ok")
    jobs.Hooked.delay("fail")
    jobs.Skipped.delay()
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    ok = ["before_a", "before_b", "around_a_in", "around_b_in", "perform", "around_b_out", "around_a_out", "after_a"]
    failed = ["before_a", "before_b", "around_a_in", "around_b_in", "on_failure_a:Boom"]
    assert done(real_redis) == ok + failed
    assert [f["payload"]["args"] for f in failures(real_redis)] == [["fail"]]
    assert real_redis.get("resque:stat:processed") == b"3"


def test_jobs_per_fork_reuses_one_child(real_redis, start_worker):
    jobs.remember.delay_many([(n,) for n in range(6)])
    worker = start_worker("--queues", "test", "--burst", "--jobs-per-fork", "3")
    assert worker.wait() == 0, worker.output()
    pids = [note["pid"] for note in done(real_redis)]
    assert len(pids) == 6 and len(set(pids)) == 2
    assert worker.pid not in pids


def test_fork_per_job_by_default_and_no_fork_in_process(real_redis, start_worker):
    jobs.remember.delay_many([(n,) for n in range(2)])
    forking = start_worker("--queues", "test", "--burst")
    assert forking.wait() == 0, forking.output()
    pids = {note["pid"] for note in done(real_redis)}
    assert len(pids) == 2 and forking.pid not in pids
    real_redis.delete(jobs.DONE_KEY)
    jobs.remember.delay_many([(n,) for n in range(2)])
    inline = start_worker("--queues", "test", "--burst", "--no-fork")
    assert inline.wait() == 0, inline.output()
    assert {note["pid"] for note in done(real_redis)} == {inline.pid}


def test_timeout_kills_the_child_and_records_why(real_redis, start_worker):
    jobs.overrun.delay(60)
    worker = start_worker("--queues", "test")
    wait_until(lambda: failures(real_redis), what="timeout failure")
    failure = failures(real_redis)[0]
    assert failure["exception"] == "JobTimeoutError"
    assert "timeout of 1s" in failure["error"] and "SIGKILL" in failure["error"]
    assert failure["payload"]["class"] == "tests.support.jobs.overrun"
    jobs.remember.delay("after")
    wait_until(lambda: any(n.get("value") == "after" for n in done(real_redis) if isinstance(n, dict)))
    assert worker.process.poll() is None


def test_no_fork_timeout_interrupts_the_job(real_redis, start_worker):
    jobs.overrun.delay(60)
    worker = start_worker("--queues", "test", "--burst", "--no-fork")
    assert worker.wait() == 0, worker.output()
    assert [f["exception"] for f in failures(real_redis)] == ["JobTimeoutError"]


def test_a_job_that_exits_or_segfaults_becomes_a_failure(real_redis, start_worker):
    jobs.hard_exit.delay(3)
    jobs.hard_exit.delay(0)
    jobs.segfault.delay()
    jobs.remember.delay("still working")
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    errors = [(f["exception"], f["error"]) for f in failures(real_redis)]
    assert [name for name, _ in errors] == ["Resque::DirtyExit"] * 3
    assert "exited with status 3" in errors[0][1]
    assert "exited with status 0" in errors[1][1]
    assert "SIGSEGV" in errors[2][1]
    assert done(real_redis)[-1]["value"] == "still working"
    assert real_redis.get("resque:stat:processed") == b"4"
    assert real_redis.get("resque:stat:failed") == b"3"


def test_supervisor_runs_n_workers_and_stops_them(real_redis, start_worker):
    supervisor = start_worker("--queues", "test", "--workers", "2")
    wait_until(lambda: real_redis.scard("resque:workers") == 2, what="two workers")
    jobs.remember.delay_many([(n,) for n in range(4)])
    wait_until(lambda: len(done(real_redis)) == 4, what="jobs done")
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait() == 0, supervisor.output()
    wait_until(lambda: real_redis.scard("resque:workers") == 0, what="workers unregistered")


def test_job_processes_that_need_no_redis_open_no_connection(real_redis, start_worker):
    """The parent finishes each job's record in its next reserve: 30 forks, no new connection each."""
    jobs.noop.delay_many([()] * 30)
    before = real_redis.info("stats")["total_connections_received"]
    worker = start_worker("--queues", "test", "--burst")
    assert worker.wait() == 0, worker.output()
    opened = real_redis.info("stats")["total_connections_received"] - before
    assert real_redis.get("resque:stat:processed") == b"30"
    assert opened < 10, f"{opened} connections for 30 jobs"
