"""Job name -> registered job. Only names registered here can ever run.

A payload's ``class`` is looked up in this dict and nowhere else: nothing read from
Redis is ever imported or resolved as a dotted path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps

from .exceptions import DuplicateJobError, ResqueConfigurationError, UnknownJobError

if TYPE_CHECKING:
    from .job import Job

APP = "django_resque"

_jobs: dict[str, Job] = {}
# Jobs registered once Django had started (name -> qualname): a worker imports each
# app's jobs module at start-up, so it knows none of these unless it imports them too.
_after_startup: dict[str, str] = {}


def register(job: Job) -> None:
    """Add ``job`` under its name; a different callable under a taken name is an error."""
    require_installed_app(job.qualname)
    existing = _jobs.get(job.name)
    if existing is not None and existing.qualname != job.qualname:
        raise DuplicateJobError(
            f"Job name {job.name!r} is already registered for {existing.qualname}; "
            f"{job.qualname} needs another name (@job(name=...))."
        )
    _jobs[job.name] = job
    if apps.ready:
        _after_startup[job.name] = job.qualname
    else:
        _after_startup.pop(job.name, None)


def require_installed_app(qualname: str) -> None:
    """ResqueConfigurationError when django_resque is not in INSTALLED_APPS (once that is known)."""
    if apps.apps_ready and not apps.is_installed(APP):
        raise ResqueConfigurationError(
            f"{qualname} is a django-resque job, but 'django_resque' is not in INSTALLED_APPS: "
            "add it there, or no worker can run the job (manage.py resque_work is not even a command)."
        )


def unregister(name: str) -> None:
    _jobs.pop(name, None)
    _after_startup.pop(name, None)


def registered_after_startup() -> dict[str, str]:
    """Job name -> qualname of the jobs registered once Django had started."""
    return dict(_after_startup)


def lookup(name: str) -> Job:
    """The job registered under ``name``, or UnknownJobError."""
    try:
        return _jobs[name]
    except KeyError:
        raise UnknownJobError(name) from None


def find(name: object) -> Job | None:
    """The job registered under ``name``, or None (never an import)."""
    return _jobs.get(name) if isinstance(name, str) else None


def is_registered(name: str) -> bool:
    return name in _jobs


def all_jobs() -> dict[str, Job]:
    return dict(_jobs)
