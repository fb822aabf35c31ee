"""django-resque: GitHub's Resque model of background jobs for Django, on Redis."""

from __future__ import annotations

from typing import Any

from . import handle as _handle
from . import payload as _payload
from . import queue as _queues
from . import registry as _registry
from . import stats as _stats
from .enqueueing import enqueue_many
from .handle import JobHandle, cancel, fetch
from .job import Job, job
from .payload import Payload

__all__ = [
    "Job",
    "JobHandle",
    "Payload",
    "cancel",
    "dequeue",
    "enqueue",
    "enqueue_at",
    "enqueue_in",
    "enqueue_many",
    "enqueue_to",
    "fetch",
    "info",
    "job",
    "peek",
    "queues",
    "remove_queue",
    "size",
]


def enqueue(job: Job, *args: Any, **kwargs: Any) -> JobHandle:
    """Enqueue ``job`` on its own queue (Ruby's ``Resque.enqueue``)."""
    return job.delay(*args, **kwargs)


def enqueue_to(queue: str, job: Job | str, *args: Any, **kwargs: Any) -> JobHandle:
    """Enqueue on ``queue``; ``job`` may be a name, even one served by another (e.g. Ruby) fleet.

    A registered name behaves as its job (ALWAYS_EAGER included); any other name is
    pushed as it is, since only the fleet that knows it can run it.
    """
    if isinstance(job, str) and _registry.is_registered(job):
        job = _registry.lookup(job)
    if isinstance(job, Job):
        return job.enqueue_to(queue, *args, **kwargs)
    job_id = _handle.new_id()
    _queues.push(queue, _payload.build(job, args, kwargs, job_id=job_id))
    return _handle.queued(job_id, job, queue)


def enqueue_at(when: Any, job: Job, *args: Any, **kwargs: Any) -> JobHandle:
    """Enqueue ``job`` at a datetime (resque-scheduler's delayed queue)."""
    return job.enqueue_at(when, *args, **kwargs)


def enqueue_in(delay: Any, job: Job, *args: Any, **kwargs: Any) -> JobHandle:
    """Enqueue ``job`` after ``delay`` seconds or a timedelta."""
    return job.enqueue_in(delay, *args, **kwargs)


def dequeue(job: Job, *args: Any) -> int:
    """Remove ``job``'s queued jobs (with exactly ``args``, if given); returns how many."""
    return _queues.dequeue(job.queue, job.name, *args)


def size(queue: str) -> int:
    return _queues.size(queue)


def peek(queue: str, start: int = 0, count: int = 1) -> list[Payload]:
    return _queues.peek(queue, start, count)


def queues() -> list[str]:
    """Every known queue, sorted."""
    return _queues.names()


def remove_queue(queue: str) -> None:
    _queues.remove_queue(queue)


def info() -> dict[str, Any]:
    return _stats.info()
