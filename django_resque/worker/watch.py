"""The parent watching one job process: its messages, timeout, kill requests, heartbeat."""

from __future__ import annotations

import logging
import select
import signal
import time
from typing import TYPE_CHECKING

from ..exceptions import DirtyExitError, ResqueError
from ..inflight import Finished, Reservation
from ..status import Result
from .fork import JobProcess, Message, describe_exit
from .limits import ProcessLimits
from .perform import job_id_of

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
        self.limits = ProcessLimits(timeout)
        self.killed_by: str | None = None
        self.received = True  # False for a pre-forked process until it says it has the job
        # With one job per fork, once the child reported its job done it takes no other:
        # the parent moves on while the kernel tears the child down.
        self.leave_when_done = worker.options.jobs_per_fork == 1
        self.job_id = job_id_of(reservation)  # what cancel(id, kill=True) names

    def run(self) -> None:
        flags = self.worker.flags
        kill_fds = self.worker.waiter.kill_fds() if self.job_id else []
        while self.process.reap() is None:
            if self.leave_when_done and not self.in_flight:
                return
            readable, _, _ = select.select([*self.process.fds(), flags.wake_fd, *kill_fds], [], [], self.wait_time())
            flags.drain()
            self.read_messages()
            self.act_on_signals()
            if kill_fds and kill_fds[0] in readable:
                self.act_on_cancel()
            self.enforce_deadlines()
            self.worker.heartbeat.safe_tick()
        self.read_messages()

    def wait_time(self) -> float:
        now = time.monotonic()
        limits = [self.worker.heartbeat.next_tick, *self.limits.next_due()]
        cap = 1.0 if self.process.pidfd is None else 60.0  # without pidfd, poll for the exit
        return max(0.0, min(cap, *(t - now for t in limits)))

    def read_messages(self) -> None:
        for message in self.process.messages():
            if message.kind == "r":
                self.received = True
            elif message.kind == "d":
                self.in_flight = False
                self.limits.stop()
                if message.failed is not None:
                    self.handed_back = Finished(self.record, message.failed, self.result_of(message))
            elif message.kind == "s":
                self.in_flight = True
                self.limits.start(message.timeout)

    def result_of(self, message: Message) -> Result | None:
        """The result a "done" message carries, to keep as the record is finished: for our job's id only."""
        if message.failed or message.value is None or self.job_id is None:
            return None
        return Result(self.job_id, message.value, message.seconds)

    def act_on_signals(self) -> None:
        intent = self.worker.intent
        if intent.shutdown or intent.paused:
            self.process.ask_to_stop()
        reason = intent.take_kill_request()
        if reason:
            self.killed_by = reason
            self.process.kill(signal.SIGKILL if intent.forced >= 2 else signal.SIGTERM)
            self.limits.grant_grace(self.worker.options.term_timeout)

    def act_on_cancel(self) -> None:
        """``cancel(id, kill=True)`` named this job: end its process as USR1 does."""
        if self.worker.waiter.take_kill_request(self.job_id) and self.in_flight:
            logger.info("Job %s %s cancelled with kill=True; ending pid %d", self.job_id, self.name, self.process.pid)
            self.killed_by = "cancel(kill=True)"
            self.process.kill(signal.SIGTERM)
            self.limits.grant_grace(self.worker.options.term_timeout)

    def enforce_deadlines(self) -> None:
        overdue = self.limits.overdue()
        if overdue == "timeout":
            timeout, pid = self.limits.timeout, self.process.pid
            logger.warning("Job %s ran past its %ss timeout; killing pid %d", self.name, timeout, pid)
        if overdue:
            self.process.kill(signal.SIGKILL)

    def lost_before_its_job(self) -> bool:
        """A pre-forked process died before it had the job (none of the job's code ran), unkilled."""
        return not self.received and not self.killed_by

    def died_holding_its_job(self) -> bool:
        """The process exited with its job not done, or failed before handing its record back."""
        return self.in_flight or (self.process.status != 0 and self.handed_back is None)

    def exit_error(self) -> ResqueError:
        """The failure to record for a job its process did not finish."""
        how = describe_exit(self.process.status or 0)
        pid = self.process.pid
        if self.limits.timed_out:
            return self.limits.timeout_error(pid, how)
        if self.killed_by:
            return DirtyExitError("Job process %d %s: the worker received %s" % (pid, how, self.killed_by))
        return DirtyExitError("Child process %d %s before finishing its job" % (pid, how))
