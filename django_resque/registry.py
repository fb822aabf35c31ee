"""Job name -> registered job. Only names registered here can ever run.

A payload's ``class`` is looked up in this dict and nowhere else: nothing read from
Redis is ever imported or resolved as a dotted path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import DuplicateJobError, UnknownJobError

if TYPE_CHECKING:
    from .job import Job

_jobs: dict[str, Job] = {}


def register(job: Job) -> None:
    """Add ``job`` under its name; a different callable under a taken name is an error."""
    existing = _jobs.get(job.name)
    if existing is not None and existing.qualname != job.qualname:
        raise DuplicateJobError(
            f"Job name {job.name!r} is already registered for {existing.qualname}; "
            f"{job.qualname} needs another name (@job(name=...))."
        )
    _jobs[job.name] = job


def unregister(name: str) -> None:
    _jobs.pop(name, None)


def lookup(name: str) -> Job:
    """The job registered under ``name``, or UnknownJobError."""
    try:
        return _jobs[name]
    except KeyError:
        raise UnknownJobError(name) from None


def is_registered(name: str) -> bool:
    return name in _jobs


def all_jobs() -> dict[str, Job]:
    return dict(_jobs)
