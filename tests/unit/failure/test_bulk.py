"""Bulk changes in bounded batches, with other writers changing the list between and
inside batches (fakeredis; the real-Redis timings are in tests/integration/failure)."""

import json

import pytest

from django_resque import keys, scripts
from django_resque.failure import api, bulk
from django_resque.failure.base import FailedList


def _record(index, *, exception="KeyError", queue="q"):
    return json.dumps(
        {
            "failed_at": "2026/11/22 13:09:14 UTC",
            "payload": {"class": "Job", "args": [index]},
            "exception": exception,
            "error": "boom",
            "backtrace": [],
            "worker": "h:1:q",
            "queue": queue,
        },
        separators=(",", ":"),
    )


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(bulk, "FIRST_WINDOW", 3)
    monkeypatch.setattr(bulk, "BATCH", 3)
    monkeypatch.setattr(bulk, "BATCH_SECONDS", 60)  # fakeredis runs Lua slowly: size by count only


@pytest.fixture
def twenty(fake_redis, small_batches):
    fake_redis.rpush(keys.failed(), *(_record(index) for index in range(20)))
    return fake_redis


def _args(client, queue="q"):
    return [json.loads(raw)["args"][0] for raw in client.lrange(keys.queue(queue), 0, -1)]


def _failed_args(client):
    return [json.loads(raw)["payload"]["args"][0] for raw in client.lrange(keys.failed(), 0, -1)]


def test_retry_all_walks_in_batches_and_reports_progress(twenty):
    seen = []
    assert api.retry_all(on_progress=seen.append) == 20
    assert _args(twenty) == list(range(20))
    assert [progress.done for progress in seen] == [3, 6, 9, 12, 15, 18, 20, 20]
    assert seen[-1] == api.Progress(done=20, seen=20, total=20)
    assert all("retried_at" in json.loads(raw) for raw in twenty.lrange(keys.failed(), 0, -1))


def test_each_batch_is_one_script_of_a_few_targets(twenty, monkeypatch):
    sizes = []
    real_run = scripts.run

    def run(source, keys_, args):
        if source == scripts.FAILED_BATCH:
            sizes.append(int(args[2]))
        return real_run(source, keys_, args)

    monkeypatch.setattr(scripts, "run", run)
    api.remove_all(exception="KeyError")
    assert sizes == [3, 3, 3, 3, 3, 3, 2]
    assert twenty.llen(keys.failed()) == 0


def test_the_window_follows_what_the_last_script_took():
    sizer = bulk.Sizer(count=400)
    sizer.timed(400, bulk.BATCH_SECONDS * 2)  # slow: half as many next time
    assert sizer.count == 200
    sizer.timed(200, bulk.BATCH_SECONDS * 10)  # very slow: never below MIN_WINDOW
    assert sizer.count == bulk.MIN_WINDOW
    sizer.timed(100, bulk.BATCH_SECONDS / 10)  # quick: grows by half
    assert sizer.count == 151
    sizer.observe([b"x" * (bulk.BATCH_BYTES // 10)])  # large records: the bytes bound wins
    assert sizer.count == 10


def test_the_window_is_bounded_by_bytes(fake_redis, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_SECONDS", 60)
    monkeypatch.setattr(bulk, "BATCH_BYTES", 1000)
    fake_redis.rpush(keys.failed(), *(_record(index) + " " * 250 for index in range(12)))
    seen = []
    api.remove_all(on_progress=seen.append)
    assert [progress.seen for progress in seen][:3] == [10, 12, 12]  # first window, then 2 at a time
    assert fake_redis.llen(keys.failed()) == 0


def test_remove_all_matching_keeps_the_others_and_records_appended_meanwhile(twenty):
    twenty.lset(keys.failed(), 4, _record(4, exception="OSError"))

    def append(progress):
        if progress.done == 3:
            twenty.rpush(keys.failed(), _record(99))

    assert api.remove_all(exception="KeyError", on_progress=append) == 19
    assert _failed_args(twenty) == [4, 99]


def test_a_record_removed_before_the_walk_moves_it_back_without_skipping(twenty):
    def remove_the_first(progress):
        if progress.seen == 6:
            api.remove(0, api.get(0).raw)

    assert api.retry_all(on_progress=remove_the_first) == 20
    assert sorted(_args(twenty)) == list(range(20))  # each retried exactly once
    assert len(_args(twenty)) == 20


def test_a_removal_inside_the_next_window_is_caught_by_the_batch_script(twenty, monkeypatch):
    real_run = scripts.run
    calls = []

    def run(source, keys_, args):
        calls.append(source)
        if source == scripts.FAILED_BATCH and len(calls) == 2:
            twenty.lrem(keys.failed(), 1, _record(4))  # one of this batch's targets: the others move
        return real_run(source, keys_, args)

    monkeypatch.setattr(scripts, "run", run)
    assert api.retry_all() == 19
    assert _args(twenty) == [index for index in range(20) if index != 4]


def test_remove_all_goes_on_when_others_remove_records_it_has_passed(twenty):
    kept = [_record(0, exception="OSError"), _record(1, exception="OSError")]
    twenty.lset(keys.failed(), 0, kept[0])
    twenty.lset(keys.failed(), 1, kept[1])

    def remove_kept(progress):
        if progress.seen == 6:  # both records the walk kept, before its cursor
            for raw in kept:
                twenty.lrem(keys.failed(), 1, raw)

    assert api.remove_all(exception="KeyError", on_progress=remove_kept) == 18
    assert twenty.llen(keys.failed()) == 0


def test_a_retry_stops_rather_than_retry_twice_when_it_cannot_tell_where_it_was(twenty):
    def rewrite(progress):
        if progress.seen == 6:
            twenty.delete(keys.failed())
            twenty.rpush(keys.failed(), *(_record(100 + index) for index in range(10)))

    with pytest.raises(api.StaleFailureError, match="stopped after 6"):
        api.retry_all(on_progress=rewrite)
    assert _args(twenty) == list(range(6))


def test_records_without_a_payload_are_skipped_and_counted(fake_redis, small_batches):
    fake_redis.rpush(keys.failed(), _record(0), b"not json", '{"queue":"q","payload":{}}', _record(3))
    seen = []
    assert api.retry_all(on_progress=seen.append) == 2
    assert seen[-1].skipped == 2
    assert _args(fake_redis) == [0, 3]


def test_selected_are_changed_in_batches_from_the_tail(twenty):
    targets = [(index, _record(index)) for index in (1, 5, 9, 13, 17)]
    assert api.remove_many(targets) == 5
    assert _failed_args(twenty) == [index for index in range(20) if index not in (1, 5, 9, 13, 17)]


def test_selected_in_one_batch_are_all_or_nothing(twenty):
    targets = [(1, _record(1)), (2, _record(2))]
    api.remove(0, _record(0))
    with pytest.raises(api.StaleFailureError):
        api.retry_many(targets)
    assert twenty.llen(keys.queue("q")) == 0


def test_change_selected_reads_only_the_targets(twenty, monkeypatch):
    monkeypatch.setattr(type(twenty), "lrange", lambda *args: pytest.fail("read a range"))
    assert bulk.change_selected(FailedList(keys.failed()), "replace", [(7, _record(7))]) == 1
    assert twenty.llen(keys.queue("q")) == 1
