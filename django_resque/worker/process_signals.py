"""Process signals -> intent flags, as Resque maps them. Handlers only set flags.

QUIT   finish the current job, then exit
TERM   kill the current job (after the grace period), then exit
INT    same as TERM
USR1   kill the current job, keep working
USR2   pause: take no new job
CONT   resume

A wake-up pipe (``signal.set_wakeup_fd``) makes every blocking ``select()`` of the
worker return at once when a signal arrives, so the loop acts on it without polling.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HANDLED = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT)
STOP_SIGNALS = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)


@dataclass
class Intent:
    """What the signals received so far ask the worker to do."""

    shutdown: bool = False  # stop after the current job (QUIT) or after killing it (TERM/INT)
    kill_job: str | None = None  # name of the signal that asked to kill the current job
    paused: bool = False
    pause_changed: bool = False
    forced: int = 0  # TERM/INT received so far; a second one kills without grace

    def take_kill_request(self) -> str | None:
        """The pending kill request (signal name), cleared."""
        reason, self.kill_job = self.kill_job, None
        return reason


class SignalFlags:
    """Installs the handlers for one worker process and owns its wake-up pipe."""

    def __init__(self) -> None:
        self.intent = Intent()
        self.wake_fd, self._write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        # --no-fork only: arms the in-process job's timer (it never raises here).
        self.on_kill_request: Callable[[str], None] | None = None
        self._previous: dict[int, Any] = {}
        self.received: list[int] = []  # every signal, in order (the pool manager acts on them)

    def install(self, also: tuple[int, ...] = ()) -> None:
        """Handle Resque's signals, and ``also`` these (recorded in ``received`` only)."""
        signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        for signum in (*HANDLED, *also):
            self._previous[signum] = signal.signal(signum, self._handle)

    def drain(self) -> None:
        """Empty the wake-up pipe (its bytes only say "a signal came")."""
        try:
            while os.read(self.wake_fd, 512):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        """Restore the previous handlers and close the pipe."""
        signal.set_wakeup_fd(-1)
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        for fd in (self.wake_fd, self._write_fd):
            os.close(fd)

    def _handle(self, signum: int, frame: object) -> None:
        self.received.append(signum)
        intent = self.intent
        if signum == signal.SIGQUIT:
            intent.shutdown = True
        elif signum in (signal.SIGTERM, signal.SIGINT):
            intent.shutdown = True
            intent.forced += 1
            intent.kill_job = signal.Signals(signum).name
        elif signum == signal.SIGUSR1:
            intent.kill_job = "SIGUSR1"
        if intent.kill_job and self.on_kill_request is not None:
            self.on_kill_request(intent.kill_job)
        elif signum in (signal.SIGUSR2, signal.SIGCONT):
            intent.paused = signum == signal.SIGUSR2
            intent.pause_changed = True


JOB_DEFAULT = (signal.SIGTERM, signal.SIGCONT, signal.SIGALRM)  # default in a job process
JOB_IGNORED = (signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)  # ignored in a job process


def reset_in_child(served: bool = False) -> None:
    """Signal dispositions of a forked job process.

    TERM keeps its default (the parent's way to stop a job); INT and QUIT are ignored,
    so Ctrl-C / Ctrl-\\ in a terminal reach the parent, which decides; USR1/USR2 are
    the parent's and ignored here; CONT keeps its default. ``served``: forked by a fork
    server that set all of them but TERM (``prepare_fork_server``): only TERM is left,
    where seven calls would each cost a job process copied pages.
    """
    if served:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        return
    signal.set_wakeup_fd(-1)
    for signum in JOB_DEFAULT:
        signal.signal(signum, signal.SIG_DFL)
    for signum in JOB_IGNORED:
        signal.signal(signum, signal.SIG_IGN)


def prepare_fork_server() -> None:
    """A job process's dispositions, set once in the fork server, but TERM ignored there (its own)."""
    signal.set_wakeup_fd(-1)
    for signum in JOB_DEFAULT:
        signal.signal(signum, signal.SIG_IGN if signum == signal.SIGTERM else signal.SIG_DFL)
    for signum in JOB_IGNORED:
        signal.signal(signum, signal.SIG_IGN)
