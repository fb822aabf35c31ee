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
    """Send ``signal``; a receiver that raises is logged, never fatal to the sender."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("Receiver %r of a django_resque signal raised: %r", receiver, result)
