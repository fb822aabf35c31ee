"""Time limits of a job: its timeout, and the grace a TERM/INT gives it; fork and ``--no-fork``.

A job's timeout is ``@job(timeout=...)``, else the worker's ``--timeout``, else
RESQUE['JOB_TIMEOUT'] (``timeout_for``).

Fork mode (``ProcessLimits``): the worker kills the job process with SIGKILL once its
timeout is over; after a TERM/INT (or USR1) it sends SIGTERM, then SIGKILL once
``--term-timeout`` is over. Hard limits: the job's own code cannot escape them.

``--no-fork`` (``InlineLimits``): there is no child to kill, so a SIGALRM timer
raises JobTimeoutError (timeout) or JobTerminatedError (TERM/INT grace over) inside
the job, as RQ's UnixSignalDeathPenalty does. This is best effort: a job that catches
every exception, or blocks inside C code that does not return to Python, can overrun.
"""

from __future__ import annotations

import signal
import time
from types import TracebackType
from typing import TYPE_CHECKING

from .. import conf, registry
from ..exceptions import JobTerminatedError, JobTimeoutError

if TYPE_CHECKING:
    from ..inflight import Reservation


def timeout_for(reservation: Reservation, default: float | None) -> float | None:
    """``@job(timeout=...)``, else the worker's ``--timeout``, else RESQUE['JOB_TIMEOUT']."""
    job = registry.find(reservation.name)
    if job is not None and job.timeout is not None:
        return job.timeout
    return default if default is not None else conf.get("JOB_TIMEOUT")


class ProcessLimits:
    """The deadlines of one job process: its job's timeout, and the grace after SIGTERM."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout: float | None = None
        self.deadline: float | None = None  # SIGKILL at this time: the job ran past its timeout
        self.kill_deadline: float | None = None  # SIGKILL at this time: the grace after SIGTERM is over
        self.timed_out = False
        self.start(timeout)

    def start(self, timeout: float | None) -> None:
        """A job starts (the first, or the next with ``--jobs-per-fork``)."""
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout if timeout else None

    def stop(self) -> None:
        """The job is done: its timeout no longer applies."""
        self.deadline = None

    def grant_grace(self, seconds: float) -> None:
        """SIGTERM was sent: SIGKILL follows after ``seconds``."""
        self.kill_deadline = time.monotonic() + seconds

    def next_due(self) -> list[float]:
        return [t for t in (self.deadline, self.kill_deadline) if t is not None]

    def overdue(self) -> str | None:
        """``"timeout"`` or ``"grace"`` if a deadline has passed (each said once), else None."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.timed_out, self.deadline = True, None
            return "timeout"
        if self.kill_deadline is not None and now >= self.kill_deadline:
            self.kill_deadline = None
            return "grace"
        return None

    def timeout_error(self, pid: int, how: str) -> JobTimeoutError:
        return JobTimeoutError("Job exceeded its timeout of %ss; its process %d was %s" % (self.timeout, pid, how))


class InlineLimits:
    """Context manager arming SIGALRM around one in-process job (only if a limit applies)."""

    def __init__(self, timeout: float | None, name: str) -> None:
        self.timeout, self.name = timeout, name
        self._error: Exception | None = None
        self._active = False
        self._armed = False

    def __enter__(self) -> InlineLimits:
        self._active = True
        if self.timeout:
            self._arm(self.timeout, JobTimeoutError("Job %s exceeded its timeout of %ss" % (self.name, self.timeout)))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._active = False
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            self._armed = False

    def terminate_after(self, grace: float, signal_name: str) -> None:
        """Stop the job after ``grace`` seconds (sooner if its timeout comes first)."""
        if not self._active:
            return
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        if remaining and remaining <= grace:
            return
        error = JobTerminatedError("Job %s stopped: the worker received %s" % (self.name, signal_name))
        self._arm(max(grace, 0.001), error)

    def _arm(self, seconds: float, error: Exception) -> None:
        self._error = error
        self._deadline = time.monotonic() + seconds
        if not self._armed:
            signal.signal(signal.SIGALRM, self._alarm)
            self._armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)

    def _alarm(self, signum: int, frame: object) -> None:
        if self._active and self._error is not None:
            raise self._error
