"""Signals only set flags; the wake-up pipe makes select() return."""

from __future__ import annotations

import os
import select
import signal

import pytest

from django_resque.worker.process_signals import SignalFlags


@pytest.fixture
def flags():
    installed = SignalFlags()
    installed.install()
    yield installed
    installed.close()


@pytest.mark.parametrize(
    ("signum", "shutdown", "kill", "paused"),
    [
        (signal.SIGQUIT, True, None, False),
        (signal.SIGTERM, True, "SIGTERM", False),
        (signal.SIGINT, True, "SIGINT", False),
        (signal.SIGUSR1, False, "SIGUSR1", False),
        (signal.SIGUSR2, False, None, True),
    ],
)
def test_each_signal_sets_its_intent(flags, signum, shutdown, kill, paused):
    os.kill(os.getpid(), signum)
    assert select.select([flags.wake_fd], [], [], 5)[0]
    intent = flags.intent
    assert (intent.shutdown, intent.take_kill_request(), intent.paused) == (shutdown, kill, paused)
    assert flags.received == [signum]


def test_cont_resumes(flags):
    os.kill(os.getpid(), signal.SIGUSR2)
    os.kill(os.getpid(), signal.SIGCONT)
    assert flags.intent.paused is False and flags.intent.pause_changed


def test_close_restores_previous_handlers():
    before = signal.getsignal(signal.SIGUSR1)
    flags = SignalFlags()
    flags.install()
    flags.close()
    assert signal.getsignal(signal.SIGUSR1) == before
