"""Jobs enqueued ``on_commit`` go to Redis together when the transaction commits: one round trip.

A job waiting for the commit joins the batch whose ``transaction.on_commit`` callback
was registered last, if that callback was registered under the same savepoints;
otherwise it starts a batch with a callback of its own. So a view that enqueues ten
jobs in its transaction registers one callback, which pushes the ten in one MULTI
(``queue.push_many_encoded``), in the order they were enqueued. Django drops a
callback registered inside a savepoint that rolls back; since a batch never spans two
savepoint stacks, its jobs are dropped with it, exactly as they would be one by one.
Nor does a batch take a job past another callback registered after it, so callbacks
still run in the order they were registered.

This reads the last entry of Django's ``connection.run_on_commit`` (``(savepoint ids,
callback, robust)``, the list ``TestCase.captureOnCommitCallbacks`` reads too); if it
is not what this expects, every job gets its own callback, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from . import conf
from . import queue as queue_api
from .payload import Payload
from .signals import job_enqueued, send

if TYPE_CHECKING:
    from .job import Job


class _Batch:
    """The jobs of one ``on_commit`` callback, pushed together when it runs."""

    def __init__(self) -> None:
        self.calls: list[tuple[Job, str, Payload]] = []

    def __call__(self) -> None:
        calls, self.calls = self.calls, []
        if len(calls) == 1 or conf.get("ALWAYS_EAGER") or any(job.unique for job, _, _ in calls):
            for job, queue, payload in calls:  # one by one: eager runs, unique locks
                job.enqueue_now(queue, payload)
            return
        queue_api.push_many_encoded((queue, payload.encode()) for _, queue, payload in calls)
        for job, queue, payload in calls:
            send(job_enqueued, job, queue=queue, payload=payload)


def enqueue(job: Job, queue: str, payload: Payload) -> None:
    """Push ``payload`` on ``queue`` once the current transaction commits (now, outside one)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        job.enqueue_now(queue, payload)  # what transaction.on_commit would do: run it now
        return
    batch = _open_batch(connection)
    if batch is None:
        batch = _Batch()
        transaction.on_commit(batch)
    batch.calls.append((job, queue, payload))


def _open_batch(connection: Any) -> _Batch | None:
    """The batch of the callback registered last, if it was registered under the current savepoints."""
    pending = getattr(connection, "run_on_commit", None)
    if not pending:
        return None
    last = pending[-1]
    if not isinstance(last, tuple) or len(last) < 2 or not isinstance(last[1], _Batch):
        return None
    return last[1] if last[0] == set(connection.savepoint_ids) else None
