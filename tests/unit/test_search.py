"""Find a job by class or argument text across running, queued, delayed and failed jobs."""

from __future__ import annotations

from django_resque import delayed, inflight, keys, search, workers
from django_resque import queue as queues
from django_resque.failure import from_exception, save
from django_resque.payload import build


def _everywhere(fake_redis) -> None:
    queues.push("mail", build("shop.send", ["needle-running"]))
    workers.register("h:1:mail")
    inflight.reserve("h:1:mail", ["mail"])
    queues.push_many(
        [("mail", build("shop.send", [n])) for n in range(5)] + [("mail", build("shop.send", ["Needle-q"]))]
    )
    delayed.schedule(4_000_000_000, "later", build("shop.remind", [{"note": "a needle"}]))
    save(from_exception(ValueError("x"), payload=build("shop.NeedleJob", [1]).as_dict(), queue="mail", worker="w"))
    fake_redis.rpush(keys.queue("mail"), b"\xff not json needle")


def test_a_job_is_found_wherever_it_is(fake_redis):
    _everywhere(fake_redis)
    result = search.find("NEEDLE")
    assert [(m.place, m.where, m.index, m.job) for m in result.matches] == [
        ("running", "h:1:mail", 0, "shop.send"),
        ("queued", "mail", 5, "shop.send"),
        ("queued", "mail", 6, ""),
        ("delayed", "4000000000", 0, "shop.remind"),
        ("failed", "", 0, "shop.NeedleJob"),
    ]
    assert result.next is None and result.read == 10
    assert result.matches[2].raw == b"\xff not json needle"


def test_the_work_per_request_is_bounded_and_goes_on_where_it_stopped(fake_redis, monkeypatch):
    monkeypatch.setattr(search, "CHUNK", 2)
    _everywhere(fake_redis)
    seen, position, requests = [], search.Position(), 0
    while position is not None:
        result = search.find("needle", position, limit=25, budget=3)
        assert result.read <= 3
        seen += [(m.place, m.index) for m in result.matches]
        position, requests = result.next, requests + 1
    assert seen == [("running", 0), ("queued", 5), ("queued", 6), ("delayed", 0), ("failed", 0)]
    assert requests == 4


def test_a_page_of_matches_stops_the_walk(fake_redis):
    queues.push_many([("q", build("x", [n])) for n in range(30)])
    result = search.find("x", limit=25)
    assert len(result.matches) == 25 and result.next == search.Position(1, 0, 25)
    assert [m.index for m in search.find("x", result.next).matches] == [25, 26, 27, 28, 29]


def test_positions_from_a_query_string():
    assert search.Position.parse(None) == search.Position()
    assert search.Position.parse("2.10.300") == search.Position(2, 10, 300)
    assert search.Position.parse("9.0.0") is None and search.Position.parse("1.-1.0") is None
    assert search.Position(1, 2, 3).encode() == "1.2.3"


def test_an_empty_query_finds_nothing(fake_redis):
    queues.push("q", build("x", []))
    assert search.find("  ").matches == []


def test_hostile_places_are_walked_past(fake_redis):
    fake_redis.sadd(keys.workers(), b"host\xff:1:q")
    fake_redis.set(
        keys.worker("host\udcff:1:q").encode("utf-8", "surrogateescape"), b'{"queue":"q","payload":{"class":"needle"}}'
    )
    fake_redis.sadd(keys.queues(), "odd")
    fake_redis.set(keys.queue("odd"), "not a list")
    fake_redis.zadd(keys.delayed_schedule(), {"5": 5})
    fake_redis.set(keys.delayed(5), "not a list")
    fake_redis.set(keys.failed(), "not a list")
    queues.push("q", build("needle", []))
    found = search.find("needle")
    assert [(m.place, m.where) for m in found.matches] == [("running", "host\udcff:1:q"), ("queued", "q")]
