"""The pre-forked job process: forked while the previous job runs, it waits for its job.

Forking costs milliseconds with Django loaded; forking the next job process while the
current one works takes that cost off the path from one job to the next. The spare
child is as fresh as one forked for a job: it resets signals, drops inherited DB and
cache connections and gets its own Redis connection (while it waits, if it will reserve
jobs itself; else on first use). The
parent hands it the job's record over a pipe once the job is reserved and recorded
in ``worker:<id>``, exactly as before, so the no-job-lost guarantee is unchanged: a spare holds no job until it has one.

A waiting spare dies with its parent: ``PR_SET_PDEATHSIG`` on Linux, and anywhere the
pipe's end of file when the parent is gone. Once it has a job the death signal is
cleared, so a job in flight behaves as in a child forked for it (it finishes; its
record stays in Redis for the parent or for pruning).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import signal
import sys
from typing import Any

from ..connection import get_redis
from . import reconnect, reserve, title
from .fork import ChildChannel

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def await_first_job(channel: ChildChannel, parent: int, connect: bool = True) -> reserve.Reservation | None:
    """In the spare: get ready, then wait for the parent's job; None if the parent left.

    ``connect``: open the Redis connection now, for a child that will reserve jobs itself.
    """
    set_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        return None  # the parent died before the death signal was armed
    title.set_title("Pre-forked by %d, waiting for a job" % parent)
    if connect:
        warm_up()
    record = channel.receive_job()
    set_death_signal(0)
    if record is None:
        return None
    channel.received()  # from now on the job may have run: the parent must not retry it
    return reserve.parse_record(record)


def warm_up() -> None:
    """Connect to Redis before any job needs it (the worker loaded the scripts already)."""
    try:
        get_redis().ping()
    except reconnect.CONNECTION_ERRORS as exc:
        logger.debug("Pre-forked process %d could not warm up: %s", os.getpid(), exc)


def set_death_signal(signum: int) -> bool:
    """Ask the kernel to send ``signum`` when our parent dies (0 clears); False if unsupported."""
    prctl = _prctl()
    if prctl is None:
        return False
    return prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0


@functools.cache
def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
