"""The Lua scripts on fakeredis: push, reserve order and record, finish, requeue."""

from __future__ import annotations

import json

from django_resque import inflight, keys, queue, scripts, status
from django_resque.connection import get_redis


def _push(name: str, raw: bytes) -> None:
    get_redis().sadd(keys.queues(), name)
    get_redis().rpush(keys.queue(name), raw)


def test_reserve_takes_the_first_non_empty_queue_and_records_it(fake_redis):
    _push("low", b'{"class":"A","args":[1]}')
    _push("high", b'{"class":"B","args":[2]}')
    got = inflight.reserve("h:1:high,low", ["high", "low"])
    assert got.queue == "high" and got.payload == {"class": "B", "args": [2]}
    stored = fake_redis.get(keys.worker("h:1:high,low"))
    assert stored == got.record
    assert list(json.loads(stored)) == ["queue", "run_at", "payload"]
    assert stored.endswith(b',"payload":{"class":"B","args":[2]}}')
    assert inflight.reserve("h:1:high,low", ["high", "low"]).queue == "low"
    assert inflight.reserve("h:1:high,low", ["high", "low"]) is None


def test_reserve_expands_globs_sorted_and_skips_duplicates(fake_redis):
    for name in ("mail_b", "mail_a", "other"):
        _push(name, b'{"class":"%s","args":[]}' % name.encode())
    order = [inflight.reserve("w", ["other", "mail_*", "*"]).queue for _ in range(3)]
    assert order == ["other", "mail_a", "mail_b"]


def test_reserve_keeps_a_payload_that_is_not_json_as_a_string(fake_redis):
    _push("q", b"{broken")
    got = inflight.reserve("w", ["q"])
    assert got.payload == "{broken" and got.name == ""
    assert got.failure_payload() == {"raw": "{broken"}


def test_reserve_honours_pause_all_workers(fake_redis):
    _push("q", b'{"class":"A","args":[]}')
    fake_redis.set(keys.pause_all(), "True")
    assert inflight.reserve("w", ["q"]) is inflight.PAUSED
    assert fake_redis.llen(keys.queue("q")) == 1


def test_matching_queues_agrees_with_the_script():
    assert queue.matching_queues(["b", "a?", "*"], ["a1", "b", "c", "a2"]) == ["b", "a1", "a2", "c"]


def test_finish_only_deletes_the_expected_record(fake_redis):
    fake_redis.set("k", "new")
    assert scripts.run(scripts.FINISH_JOB, ["k", "count"], ["old"]) == 0
    assert fake_redis.get("k") == b"new" and fake_redis.get("count") is None
    assert scripts.run(scripts.FINISH_JOB, ["k", "count"], ["new"]) == 1
    assert fake_redis.get("k") is None and fake_redis.get("count") == b"1"


def test_push_script_registers_the_queue_and_appends_every_value(fake_redis):
    length = scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "a", "b", "wake"])
    assert length == 2
    assert fake_redis.smembers("resque:queues") == {b"q"}
    assert fake_redis.lrange("resque:queue:q", 0, -1) == [b"a", b"b"]


def test_push_script_still_works_after_the_server_forgot_it(fake_redis):
    scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "a", "wake"])
    fake_redis.script_flush()
    scripts.run(scripts.PUSH, ["resque:queues", "resque:queue:q"], ["q", "b", "wake"])
    assert fake_redis.lrange("resque:queue:q", 0, -1) == [b"a", b"b"]


def test_reserve_finishes_the_last_job_first_and_counts_it(fake_redis):
    _push("q", b'{"class":"A","args":[1]}')
    _push("q", b'{"class":"A","args":[2]}')
    first = inflight.reserve("w", ["q"])
    second = inflight.reserve("w", ["q"], inflight.Finished(first.record, failed=True))
    assert second.payload["args"] == [2]
    assert fake_redis.get(keys.worker("w")) == second.record
    counts = {name: fake_redis.get(keys.stat(name)) for name in ("processed", "failed")}
    assert counts == {"processed": b"1", "failed": b"1"}
    assert fake_redis.get(keys.stat("processed", "w")) == b"1"
    assert inflight.reserve("w", ["q"], inflight.Finished(second.record, failed=False)) is None
    assert fake_redis.get(keys.worker("w")) is None
    assert fake_redis.get(keys.stat("processed")) == b"2" and fake_redis.get(keys.stat("failed")) == b"1"


def test_reserve_leaves_a_record_that_is_no_longer_the_finished_one(fake_redis):
    fake_redis.set(keys.worker("w"), b"someone else's")
    assert inflight.reserve("w", ["q"], inflight.Finished(b"ours", failed=False)) is None
    assert fake_redis.get(keys.worker("w")) == b"someone else's"
    assert fake_redis.get(keys.stat("processed")) is None


def test_reserve_finishes_even_when_workers_are_paused(fake_redis):
    _push("q", b'{"class":"A","args":[]}')
    first = inflight.reserve("w", ["q"])
    _push("q", b'{"class":"A","args":[]}')
    fake_redis.set(keys.pause_all(), "true")
    assert inflight.reserve("w", ["q"], inflight.Finished(first.record, failed=False)) is inflight.PAUSED
    assert fake_redis.get(keys.worker("w")) is None and fake_redis.get(keys.stat("processed")) == b"1"


def test_an_identical_next_job_never_gets_the_finished_record(fake_redis, monkeypatch):
    """After a lost reply, worker:<id> equal to the finished record must mean "did not run"."""
    monkeypatch.setattr(inflight.time, "time", lambda: 1_800_000_000.0)
    for _ in range(3):
        _push("q", b'{"class":"A","args":[]}')
    first = inflight.reserve("w", ["q"])
    second = inflight.reserve("w", ["q"], inflight.Finished(first.record, failed=False))
    third = inflight.reserve("w", ["q"], inflight.Finished(second.record, failed=False))
    assert json.loads(first.record)["run_at"] == "2027-01-15T08:00:00Z"
    assert json.loads(second.record)["run_at"] == "2027-01-15T08:00:01Z"  # one second later, only here
    assert third.record == first.record


def _reserve_with_id(job_id: str) -> inflight.Reservation:
    _push("q", b'{"class":"A","args":[],"id":"%s"}' % job_id.encode())
    return inflight.reserve("w", ["q"])


def test_finishing_a_record_with_a_result_keeps_it_as_mark_result_does(fake_redis):
    """RESERVE and FINISH_JOB both: status, finished_at and the value, for the result's TTL."""
    first = _reserve_with_id("a1")
    inflight.reserve("w", ["q"], inflight.Finished(first.record, False, status.Result("a1", "[1]", 300)))
    second = _reserve_with_id("b2")
    assert inflight.finish("w", second.record, False, result=status.Result("b2", '"two"', 400))
    for job_id, value, ttl in (("a1", b"[1]", 300), ("b2", b'"two"', 400)):
        record = fake_redis.hgetall(keys.job_record(job_id))
        assert (record[b"status"], record[b"return_value"], record[b"attempt"]) == (b"finished", value, b"1")
        assert record[b"finished_at"] >= record[b"started_at"]
        assert ttl - 10 < fake_redis.ttl(keys.job_record(job_id)) <= ttl
    assert fake_redis.get(keys.stat("processed")) == b"2"


def test_a_result_is_never_kept_for_a_failed_job_nor_for_a_record_no_longer_ours(fake_redis):
    failed = _reserve_with_id("f1")
    inflight.reserve("w", ["q"], inflight.Finished(failed.record, True, status.Result("f1", "[1]", 300)))
    assert inflight.finish("w", failed.record, True, result=status.Result("f1", "[1]", 300)) is False
    _reserve_with_id("t1")
    taken = fake_redis.get(keys.worker("w"))
    fake_redis.set(keys.worker("w"), b"a pruner's")
    assert not inflight.finish("w", taken, False, result=status.Result("t1", "[1]", 300))
    assert inflight.reserve("w", ["q"], inflight.Finished(taken, False, status.Result("t1", "[1]", 300))) is None
    assert fake_redis.hget(keys.job_record("f1"), "status") == b"failed"
    assert fake_redis.hget(keys.job_record("t1"), "status") == b"running"
    assert fake_redis.hget(keys.job_record("f1"), "return_value") is None
    assert fake_redis.hget(keys.job_record("t1"), "return_value") is None


def test_a_result_redis_refuses_never_fails_the_finish(fake_redis):
    """Else the worker would retry the same reserve forever: the job is finished, without it."""
    first = _reserve_with_id("e1")
    fake_redis.expire(keys.job_record("e1"), 1000)
    refused = status.Result("e1", "[1]", "soon")  # type: ignore[arg-type]  # what a bad setting may give
    assert inflight.finish("w", first.record, False, result=refused)
    record = fake_redis.hgetall(keys.job_record("e1"))
    assert (record[b"status"], record[b"return_value"]) == (b"finished", b"[1]")
    assert 990 < fake_redis.ttl(keys.job_record("e1")) <= 1000
