"""The pool manager's decisions, without forking: shape, signals, deaths, its Redis record."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import socket
import threading

import pytest
import redis

from django_resque import pools
from django_resque.exceptions import PoolConfigError
from django_resque.signals import after_pool_fork, before_pool_fork
from django_resque.worker import pool
from django_resque.worker.pool import Pool, forwarding_stops, resque_pool_stops
from django_resque.worker.worker import WorkerOptions

KILLED_9 = signal.SIGKILL  # a wait status: killed by SIGKILL
CLEAN = 0  # a wait status: exit 0


class FakePool(Pool):
    """Forks nothing: started workers get fake pids, signals are recorded."""

    def __init__(self, lines, stops=None, burst=False, load=None):
        self.configs = [lines]
        super().__init__(
            WorkerOptions(queues=[], burst=burst), load or (lambda: self.configs[-1]), stops or resque_pool_stops()
        )
        self.pids = itertools.count(1000)
        self.sent: list[tuple[int, int]] = []
        self.closed = False

    def start_worker(self, line):
        return next(self.pids)

    def send(self, pid, signum):  # type: ignore[override]
        self.sent.append((pid, signum))

    def shape(self):
        live = [w.line for w in self.workers.values() if not w.quitting]
        return {line: live.count(line) for line in sorted(set(live))}

    def signal(self, *signums):
        self.flags.received.extend(signums)
        return self.handle_signals()


@pytest.fixture(autouse=True)
def _info_logs(caplog):
    caplog.set_level(logging.INFO, logger="django_resque")


@pytest.fixture
def make_pool():
    made = []

    def make(*args, **kwargs):
        made.append(FakePool(*args, **kwargs))
        return made[-1]

    yield make
    for each in made:
        if not each.closed:
            each.flags.close()


def quit_sent(fake):
    return sorted(pid for pid, signum in fake.sent if signum == signal.SIGQUIT)


def test_maintain_starts_each_lines_count(make_pool):
    fake = make_pool({"mail": 2, "critical,high": 1, "idle": 0})
    fake.maintain()
    assert fake.shape() == {"critical,high": 1, "mail": 2}
    fake.maintain()
    assert len(fake.workers) == 3


def test_hup_reshapes_quitting_removed_and_excess_workers_and_leaving_the_rest(make_pool):
    fake = make_pool({"keep": 1, "drop": 1, "shrink": 2, "grow": 1})
    fake.maintain()
    by_line = {line: sorted(pid for pid, w in fake.workers.items() if w.line == line) for line in fake.lines}
    fake.configs.append({"keep": 1, "shrink": 1, "grow": 2, "new": 1})
    assert fake.signal(signal.SIGHUP)
    fake.maintain()
    assert fake.shape() == {"grow": 2, "keep": 1, "new": 1, "shrink": 1}
    assert quit_sent(fake) == sorted([*by_line["drop"], by_line["shrink"][-1]])  # the newest of a shrunk line
    assert by_line["keep"][0] in fake.workers and not fake.workers[by_line["keep"][0]].quitting
    fake.maintain()
    assert len(quit_sent(fake)) == 2  # told once


def test_hup_with_a_bad_config_keeps_the_shape(make_pool, caplog):
    configs: list = [{"mail": 1}]

    def load():
        if configs[-1] is None:
            raise PoolConfigError("pool.json, line 3: not valid JSON")
        return configs[-1]

    fake = make_pool({"mail": 1}, load=load)
    configs.append(None)
    fake.signal(signal.SIGHUP)
    assert fake.lines == {"mail": 1}
    assert "the pool config is refused, the pool keeps its shape: pool.json, line 3" in caplog.text


def test_ttin_and_ttou_add_and_remove_one_worker_per_line(make_pool):
    fake = make_pool({"a": 1, "b": 2})
    fake.maintain()
    fake.signal(signal.SIGTTIN)
    fake.maintain()
    assert fake.shape() == {"a": 2, "b": 3}
    fake.signal(signal.SIGTTOU, signal.SIGTTOU, signal.SIGTTOU)
    fake.maintain()
    assert fake.shape() == {}
    assert fake.lines == {"a": 0, "b": 0}


def test_winch_stops_every_worker_until_hup(make_pool, monkeypatch):
    monkeypatch.setattr(pool, "in_terminal_foreground", lambda: False)
    fake = make_pool({"a": 2})
    fake.maintain()
    assert fake.signal(signal.SIGWINCH)
    fake.maintain()
    assert fake.shape() == {} and len(quit_sent(fake)) == 2 and not fake.stopping
    fake.signal(signal.SIGHUP)
    fake.maintain()
    assert fake.shape() == {"a": 2}


def test_winch_is_ignored_in_a_terminals_foreground(make_pool, monkeypatch, caplog):
    monkeypatch.setattr(pool, "in_terminal_foreground", lambda: True)
    fake = make_pool({"a": 1})
    fake.signal(signal.SIGWINCH)
    assert fake.lines == {"a": 1} and "WINCH ignored" in caplog.text


def test_usr1_usr2_cont_are_passed_on_to_every_worker(make_pool):
    fake = make_pool({"a": 2})
    fake.maintain()
    fake.signal(signal.SIGUSR2, signal.SIGCONT, signal.SIGUSR1)
    assert [signum for _, signum in fake.sent] == [signal.SIGUSR2] * 2 + [signal.SIGCONT] * 2 + [signal.SIGUSR1] * 2


@pytest.mark.parametrize(
    ("stops", "received", "to_workers", "waits"),
    [
        (resque_pool_stops(), signal.SIGQUIT, signal.SIGQUIT, True),
        (resque_pool_stops(), signal.SIGINT, signal.SIGQUIT, False),
        (resque_pool_stops(), signal.SIGTERM, signal.SIGTERM, False),
        (resque_pool_stops("graceful"), signal.SIGTERM, signal.SIGQUIT, False),
        (resque_pool_stops("graceful-wait"), signal.SIGTERM, signal.SIGQUIT, True),
        (forwarding_stops(), signal.SIGTERM, signal.SIGTERM, True),
        (forwarding_stops(), signal.SIGINT, signal.SIGINT, True),
    ],
)
def test_stopping_signals_as_resque_pool_and_as_workers_n(make_pool, stops, received, to_workers, waits):
    fake = make_pool({"a": 1}, stops=stops)
    fake.maintain()
    assert fake.signal(received) is waits
    assert fake.sent == [(1000, to_workers)] and fake.stopping
    fake.signal(signal.SIGHUP, signal.SIGTTIN)
    fake.maintain()
    assert list(fake.workers) == [1000]  # nothing new starts once stopping


def test_a_dead_worker_is_replaced_and_quick_deaths_delay_its_line(make_pool, monkeypatch, caplog):
    fake = make_pool({"a": 1, "b": 1})
    fake.maintain()
    [a] = [pid for pid, w in fake.workers.items() if w.line == "a"]
    fake.on_exit(a, fake.workers.pop(a), KILLED_9)
    assert "Worker pid %d (a) killed by SIGKILL; replacing it" % a in caplog.text
    assert fake.start_at["a"] > 0  # died within QUICK_DEATH: 0.5 s, then 1, 2 ... 30
    fake.maintain()
    assert fake.shape() == {"b": 1}
    fake.start_at["a"] = 0.0
    fake.maintain()
    assert fake.shape() == {"a": 1, "b": 1}
    [again] = [pid for pid, w in fake.workers.items() if w.line == "a"]
    worker = fake.workers.pop(again)
    worker.started -= pool.QUICK_DEATH
    fake.on_exit(again, worker, KILLED_9)
    assert fake.backoffs["a"].delay == 0.5  # a long-lived worker resets its line's backoff


def test_a_worker_told_to_quit_is_not_replaced(make_pool):
    fake = make_pool({"a": 1})
    fake.maintain()
    fake.configs.append({"b": 1})
    fake.signal(signal.SIGHUP)
    fake.maintain()
    [old] = [pid for pid, w in fake.workers.items() if w.line == "a"]
    fake.on_exit(old, fake.workers.pop(old), CLEAN)
    fake.maintain()
    assert fake.shape() == {"b": 1} and "a" not in fake.start_at


def test_burst_workers_finishing_are_not_replaced_and_the_pool_then_stops(make_pool):
    fake = make_pool({"a": 2}, burst=True)
    fake.maintain()
    for pid in list(fake.workers):
        fake.on_exit(pid, fake.workers.pop(pid), CLEAN)
    assert fake.lines == {"a": 0} and fake.stopping


def test_reap_collects_exited_children(make_pool, monkeypatch):
    fake = make_pool({"a": 1})
    fake.maintain()
    statuses = iter([(1000, CLEAN), (4242, CLEAN), (0, 0)])
    monkeypatch.setattr(os, "waitpid", lambda pid, flags: next(statuses))
    fake.reap()
    assert fake.workers == {} and fake.record_due == 0.0
    fake.start_at.clear()
    fake.maintain()
    monkeypatch.setattr(os, "waitpid", lambda pid, flags: (_ for _ in ()).throw(ChildProcessError()))
    fake.reap()
    assert len(fake.workers) == 1


def test_the_pool_is_recorded_and_removed(make_pool, fake_redis):
    fake = make_pool({"mail": 2, "reports": 0})
    fake.maintain()
    fake.save_record()
    [info] = pools.all_pools()
    assert (info.pid, info.lines, info.started) == (os.getpid(), {"mail": 2, "reports": 0}, fake.started)
    assert info.workers == {1000: "mail", 1001: "mail"} and info.running("mail") == 2
    assert 0 < fake_redis.ttl("resque:django_resque:pool:" + info.id) <= 300
    fake.remove_record()
    assert pools.all_pools() == [] and fake_redis.keys("resque:django_resque:*") == []


def test_an_expired_or_hostile_record_is_skipped_or_read_safely(fake_redis):
    fake_redis.zadd("resque:django_resque:pools", {"gone:1": 4102444800, "old:2": 1, "odd:3": 4102444800})
    fake_redis.hset("resque:django_resque:pool:old:2", "lines", "{}")
    fake_redis.hset(
        "resque:django_resque:pool:odd:3",
        mapping={"lines": json.dumps({"a": "x", "\x1b[2Jb": 1}), "workers": "[not json", "started": b"\xff\n"},
    )
    [info] = pools.all_pools()
    assert (info.host, info.pid, info.lines, info.workers) == ("odd", 3, {"\ufffd[2Jb": 1}, {})
    assert info.started == "\ufffd\ufffd"  # invalid UTF-8 and a control character
    fake_redis.hset("resque:django_resque:pool:odd:3", "workers", json.dumps({"\u0661": "a", "7": "\x00a", "x": "b"}))
    assert pools.all_pools()[0].workers == {7: "\ufffda"}


def test_redis_away_delays_the_record_without_stopping_the_pool(make_pool, monkeypatch, caplog):
    def unreachable(*args):
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(pools, "save", unreachable)
    monkeypatch.setattr(pools, "remove", unreachable)
    fake = make_pool({"a": 1})
    fake.save_record()
    fake.remove_record()
    assert fake.record_due > 0 and "Could not record the pool in Redis (refused); retrying in 1s" in caplog.text
    assert "it expires" in caplog.text


def test_before_pool_fork_is_sent_in_the_manager(monkeypatch, make_pool):
    seen = []

    def receiver(sender, queues, **kwargs):
        seen.append(queues)

    before_pool_fork.connect(receiver)
    monkeypatch.setattr(os, "fork", lambda: 4321)
    try:
        fake = make_pool({"a,b": 1})
        assert Pool.start_worker(fake, "a,b") == 4321
    finally:
        before_pool_fork.disconnect(receiver)
    assert seen == [["a", "b"]]


def test_run_manages_until_a_stopping_signal_then_removes_its_record(make_pool, monkeypatch, fake_redis):
    titles = []
    monkeypatch.setattr(pool.title, "pool_manager", titles.append)
    monkeypatch.setattr(pool.gc, "freeze", lambda: None)
    hup_before = signal.getsignal(signal.SIGHUP)  # SIG_IGN under nohup, SIG_DFL in a shell
    fake = make_pool({"a": 2}, stops=resque_pool_stops())
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    fake.run()
    fake.closed = True
    assert titles == ["(starting)", "managing [1000, 1001]", "(shutting down)"]
    assert fake.sent == [(1000, signal.SIGQUIT), (1001, signal.SIGQUIT)]
    assert fake_redis.zcard("resque:django_resque:pools") == 0
    assert signal.getsignal(signal.SIGHUP) == hup_before  # the manager's handlers are gone


def test_a_worker_quits_at_once_if_its_manager_is_already_gone():
    for manager, expected in ((os.getpid(), 3), (1, 0)):
        child = os.fork()
        if child == 0:
            pool.quit_with_manager(manager)
            os._exit(3)
        assert os.waitpid(child, 0)[1] >> 8 == expected


def test_not_in_a_terminals_foreground_without_a_controlling_terminal():
    child = os.fork()
    if child == 0:
        os.setsid()  # no controlling terminal
        os._exit(0 if pool.in_terminal_foreground() is False else 1)
    assert os.waitpid(child, 0)[1] == 0


def test_a_forked_worker_gets_after_pool_fork_then_works(monkeypatch, make_pool, tmp_path):
    seen = tmp_path / "seen"

    def receiver(sender, queues, worker_id, **kwargs):
        ignored = signal.getsignal(signal.SIGTTIN) == signal.SIG_IGN
        seen.write_text(json.dumps([queues, worker_id, os.getpgrp() == os.getpid(), ignored]))

    monkeypatch.setattr(pool.Worker, "work", lambda self: None)
    after_pool_fork.connect(receiver)
    try:
        fake = make_pool({"a,b": 1})
        pid = Pool.start_worker(fake, "a,b")
        assert os.waitpid(pid, 0)[1] == 0
    finally:
        after_pool_fork.disconnect(receiver)
    assert json.loads(seen.read_text()) == [["a", "b"], "%s:%d:a,b" % (socket.gethostname(), pid), True, True]
