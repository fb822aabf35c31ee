"""The parent watching one job process: its messages, timeout, kill requests, heartbeat."""

from __future__ import annotations

import logging
import select
import signal
import time
from typing import TYPE_CHECKING

from ..exceptions import DirtyExitError, JobTimeoutError, ResqueError
from ..inflight import Finished, Reservation
from .fork import JobProcess, describe_exit

if TYPE_CHECKING:
    from .worker import Worker

logger = logging.getLogger(__name__)


class ChildWatch:
    """The parent watching one job process: messages, timeout, kill requests, heartbeat."""

    def __init__(self, worker: Worker, process: JobProcess, reservation: Reservation, timeout: float | None):
        self.worker, self.process = worker, process
        self.name, self.record = reservation.name, reservation.record
        self.in_flight = True
        self.handed_back: Finished | None = None  # the job is done; its record is ours to finish
        self.deadline = time.monotonic() + timeout if timeout else None
        self.timeout = timeout
        self.kill_deadline: float | None = None
        self.killed_by: str | None = None
        self.timed_out = False
        self.received = True  # False for a pre-forked process until it says it has the job
        # With one job per fork, once the child reported its job done it takes no other:
        # the parent moves on while the kernel tears the child down.
        self.leave_when_done = worker.options.jobs_per_fork == 1

    def run(self) -> None:
        flags = self.worker.flags
        while self.process.reap() is None:
            if self.leave_when_done and not self.in_flight:
                return
            select.select([*self.process.fds(), flags.wake_fd], [], [], self.wait_time())
            flags.drain()
            self.read_messages()
            self.act_on_signals()
            self.enforce_deadlines()
            self.worker.safe_tick()
        self.read_messages()

    def wait_time(self) -> float:
        now = time.monotonic()
        limits = [self.worker.next_tick, *(t for t in (self.deadline, self.kill_deadline) if t is not None)]
        cap = 1.0 if self.process.pidfd is None else 60.0  # without pidfd, poll for the exit
        return max(0.0, min(cap, *(t - now for t in limits)))

    def read_messages(self) -> None:
        for message in self.process.messages():
            if message.kind == "r":
                self.received = True
            elif message.kind == "d":
                self.in_flight, self.deadline = False, None
                if message.failed is not None:
                    self.handed_back = Finished(self.record, message.failed)
            elif message.kind == "s":
                self.in_flight, self.timeout = True, message.timeout
                self.deadline = time.monotonic() + message.timeout if message.timeout else None

    def act_on_signals(self) -> None:
        intent = self.worker.intent
        if intent.shutdown or intent.paused:
            self.process.ask_to_stop()
        reason = intent.take_kill_request()
        if reason:
            self.killed_by = reason
            self.process.kill(signal.SIGKILL if intent.forced >= 2 else signal.SIGTERM)
            self.kill_deadline = time.monotonic() + self.worker.options.term_timeout

    def enforce_deadlines(self) -> None:
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            logger.warning("Job %s ran past its %ss timeout; killing pid %d", self.name, self.timeout, self.process.pid)
            self.timed_out, self.deadline = True, None
            self.process.kill(signal.SIGKILL)
        if self.kill_deadline is not None and now >= self.kill_deadline:
            self.process.kill(signal.SIGKILL)
            self.kill_deadline = None

    def exit_error(self) -> ResqueError:
        """The failure to record for a job its process did not finish."""
        how = describe_exit(self.process.status or 0)
        pid = self.process.pid
        if self.timed_out:
            return JobTimeoutError("Job exceeded its timeout of %ss; its process %d was %s" % (self.timeout, pid, how))
        if self.killed_by:
            return DirtyExitError("Job process %d %s: the worker received %s" % (pid, how, self.killed_by))
        return DirtyExitError("Child process %d %s before finishing its job" % (pid, how))
