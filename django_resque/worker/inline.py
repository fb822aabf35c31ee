"""Time limits for ``--no-fork`` jobs, which run in the worker process itself.

There is no child to kill, so a SIGALRM timer raises JobTimeoutError (timeout) or
JobTerminatedError (TERM/INT grace over) inside the job, as RQ's
UnixSignalDeathPenalty does. This is best effort: a job that catches every exception,
or blocks inside C code that does not return to Python, can overrun. Use the forking
worker for hard limits.
"""

from __future__ import annotations

import signal
import time
from types import TracebackType

from ..exceptions import JobTerminatedError, JobTimeoutError


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
