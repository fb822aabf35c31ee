"""Option parsing of manage.py resque_work (the loop itself is tested elsewhere)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from django_resque.management.commands import resque_work


def test_queues_from_option_or_environment(monkeypatch):
    monkeypatch.delenv("QUEUES", raising=False)
    monkeypatch.setenv("QUEUE", "a, b")
    assert resque_work._queues(None) == ["a", "b"]
    assert resque_work._queues("x,*") == ["x", "*"]
    monkeypatch.delenv("QUEUE")
    with pytest.raises(CommandError, match="--queues"):
        resque_work._queues(None)


def test_bad_numbers_are_refused():
    with pytest.raises(CommandError, match="--jobs-per-fork must be positive"):
        call_command("resque_work", "--queues", "q", "--jobs-per-fork", "0")


def test_runs_a_burst_worker(fake_redis, monkeypatch):
    ran = []
    monkeypatch.setattr(resque_work.Worker, "work", lambda self: ran.append(self.options))
    call_command("resque_work", "--queues", "q", "--burst", "--no-fork", "--timeout", "3", verbosity=0)
    assert ran[0].burst and not ran[0].fork and ran[0].timeout == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--interval", "nan"], "--interval must be positive, got nan"),
        (["--interval", "inf"], "--interval must be positive, got inf"),
        (["--term-timeout", "-1"], "--term-timeout must be zero or more"),
        (["--timeout", "nan"], "--timeout must be positive"),
        (["--workers", "0"], "--workers must be positive"),
        (["--workers", "129"], "--workers must be at most 128"),
    ],
)
def test_bad_options_are_command_errors(argv, message):
    with pytest.raises(CommandError, match=message):
        call_command("resque_work", "--queues", "q", *argv)


@pytest.mark.parametrize("queues", ["a,b\nc", "a,\x00", "ok, sp ace ,x\x7f"])
def test_queue_names_are_checked_as_enqueueing_checks_them(queues):
    with pytest.raises(CommandError, match="--queues: Queue name"):
        resque_work._queues(queues)
    assert resque_work._queues("mail*,?ow") == ["mail*", "?ow"]  # globs are for workers
