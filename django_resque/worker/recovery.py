"""Recover the job a worker was holding when it died: fail it (or requeue it), never drop it."""

from __future__ import annotations

import logging

from .. import conf, keys, scripts
from ..connection import translate_errors
from ..payload import dumps
from . import reserve
from .perform import registered_job, report_failure
from .registry import discard, finish

logger = logging.getLogger(__name__)


def recover(
    worker_id: str, error: Exception, *, allow_requeue: bool = False, counted: bool = False
) -> reserve.Reservation | None:
    """Handle the job left in ``worker:<id>``, if any; returns it.

    With ``allow_requeue`` and RESQUE['DIRTY_EXIT'] == "requeue", a well-formed payload
    goes back to the head of its queue; otherwise it becomes a failure record. Failing
    runs no job code: only ``failure.handle`` and the ``job_failed`` signal. Only a
    ``counted`` job (its worker saw its process die) moves ``stat:processed`` and
    ``stat:failed``; a pruned or unregistered worker's does not, as in Ruby's
    ``unregister_worker`` (the failed list still counts it).
    """
    left = reserve.current(worker_id)
    if left is None:
        return None
    if allow_requeue and conf.get("DIRTY_EXIT") == "requeue" and _requeue(worker_id, left):
        logger.warning("Requeued %s on %s, left by worker %s", left.name, left.queue, worker_id)
        return left
    report_failure(error, left, worker_id, registered_job(left))
    if counted:
        finish(worker_id, left.record, failed=True)
    else:
        discard(worker_id, left.record)
    logger.warning("Failed %s from %s, left by worker %s: %s", left.name or "<malformed>", left.queue, worker_id, error)
    return left


def _requeue(worker_id: str, left: reserve.Reservation) -> bool:
    if not left.name or not left.queue:
        return False  # malformed: a failure record keeps the raw data instead
    with translate_errors():
        moved = scripts.run(
            scripts.REQUEUE_DEAD_JOB,
            [keys.worker(worker_id), keys.queue(left.queue), keys.queues()],
            [left.record, dumps(left.payload), left.queue, keys.wake_channel()],
        )
    return bool(moved)
