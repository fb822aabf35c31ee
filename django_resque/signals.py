"""Django signals sent by django-resque. Receivers must be quick and must not raise."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# sender=Job; queue, payload
job_enqueued = Signal()
# sender=Job; queue, payload, worker_id (sent in the process that performs the job)
job_started = Signal()
# sender=Job; queue, payload, worker_id, duration
job_finished = Signal()
# sender=Job or None (unknown job); queue, payload, worker_id, exception
job_failed = Signal()

# Worker hooks (sender=None; worker_id). before_first_fork: in the worker before its
# first fork; before_fork: in the worker before each fork (reservation); after_fork: in
# the new job process before it performs (reservation).
before_first_fork = Signal()
before_fork = Signal()
after_fork = Signal()

# Pool hooks (sender=None; queues, the worker's queue list). before_pool_fork: in the
# pool manager before it forks a worker; after_pool_fork: in the new worker process
# before it registers (also worker_id), as resque-pool's after_prefork.
before_pool_fork = Signal()
after_pool_fork = Signal()


def send(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal``; a receiver that raises is logged with its traceback, never raised.

    What the signal tells of has happened (a job enqueued, performed, failed): one
    receiver's bug must not undo it, stop the worker, or keep other receivers from it.
    """
    if not signal.receivers:  # the usual case, on every enqueue and job: nothing to call
        return
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("%s receiver %r raised: %r", _name_of(signal), receiver, result, exc_info=result)


def _name_of(signal: Signal) -> str:
    """``job_enqueued`` for ours; Django's Tasks signals and others read as "signal"."""
    return next((name for name, value in globals().items() if value is signal), "signal")
