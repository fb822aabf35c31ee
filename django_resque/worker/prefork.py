"""The pre-forked job process: forked while the previous job runs, it waits for its job.

Forking costs milliseconds with Django loaded; forking the next job process while the
current one works takes that cost off the path from one job to the next. The spare
child is as fresh as one forked for a job: it resets signals, drops inherited DB and
cache connections and gets its own Redis connection (while it waits, if it will reserve
jobs itself; else on first use). The parent hands it the job's record over a pipe once
the job is reserved and recorded in ``worker:<id>``, exactly as before, so the
no-job-lost guarantee is unchanged: a spare holds no job until it has one.

A waiting spare dies with its parent: it blocks reading a pipe whose only writer is the
parent (every other child closes that end), so the read ends at end of file when the
parent is gone, however it went. Once it has a job it is a job process like any other:
if the parent dies, the job finishes and its record stays in Redis for pruning.
"""

from __future__ import annotations

import logging
import os

import redis

from .. import inflight, reconnect
from ..connection import get_redis
from . import title
from .fork import ChildChannel

logger = logging.getLogger(__name__)


def await_first_job(channel: ChildChannel, parent: int, connect: bool = True) -> inflight.Reservation | None:
    """In the spare: get ready, then wait for the parent's job; None if the parent left.

    ``connect``: open the Redis connection now, for a child that will reserve jobs itself.
    """
    title.set_title("Pre-forked by %d, waiting for a job" % parent)
    if connect:
        warm_up()
    record = channel.receive_job()
    if record is None:
        return None
    channel.received()  # from now on the job may have run: the parent must not retry it
    return inflight.parse_record(record)


def warm_up() -> None:
    """Connect to Redis before any job needs it (the worker loaded the scripts already)."""
    try:
        get_redis().ping()
    except (redis.RedisError, *reconnect.CONNECTION_ERRORS) as exc:  # e.g. BUSY: the job's own calls retry
        logger.debug("Pre-forked process %d could not warm up: %s", os.getpid(), exc)
