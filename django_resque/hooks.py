"""Job hooks, as Resque plugins name them, found on class jobs by prefix.

A class job may define any number of classmethods (or staticmethods) named
``before_perform*``, ``around_perform*``, ``after_perform*`` and ``on_failure*``.
Each kind runs in name order, in the process that performs the job::

    before_perform_*(*args, **kwargs)       raise DontPerformError to skip the job (no failure)
    around_perform_*(perform, *args, ...)   must call perform() once; the first in name
                                            order is the outermost
    perform(*args, **kwargs)
    after_perform_*(*args, **kwargs)        only after a successful perform
    on_failure_*(exc, *args, **kwargs)      when any of the above raised

Worker-level hooks are Django signals (see ``signals.py``): before_first_fork,
before_fork and after_fork around the fork; job_started, job_finished and job_failed
around each job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import DontPerformError

if TYPE_CHECKING:
    from .job import Job
    from .payload import Payload

logger = logging.getLogger(__name__)

PREFIXES = ("before_perform", "around_perform", "after_perform", "on_failure")
# What ``perform`` returns when a before hook raised DontPerformError.
SKIPPED = object()


def job_hooks(target: Any, prefix: str) -> list[Callable[..., Any]]:
    """The ``prefix*`` hooks of a class job, sorted by name; none for function jobs."""
    if not isinstance(target, type):
        return []
    names = sorted(name for name in dir(target) if name.startswith(prefix))
    return [hook for hook in (getattr(target, name) for name in names) if callable(hook)]


def perform(job: Job, payload: Payload) -> Any:
    """Run before hooks, the around chain with perform inside, then after hooks.

    Returns what the job's perform returned (whatever around hooks return), or
    SKIPPED when a before hook raised DontPerformError.
    """
    args, kwargs = job.call_arguments(payload)
    try:
        for hook in job_hooks(job.target, "before_perform"):
            hook(*args, **kwargs)
    except DontPerformError as exc:
        logger.info("Job %s skipped by a before_perform hook: %s", job.name, exc)
        return SKIPPED
    returned: list[Any] = [None]
    _around_chain(job, payload, args, kwargs, returned)()
    for hook in job_hooks(job.target, "after_perform"):
        hook(*args, **kwargs)
    return returned[0]


def run_failure_hooks(job: Job, payload: Payload, exc: BaseException) -> None:
    """Call every ``on_failure*`` hook; one that raises is logged and the rest still run."""
    args, kwargs = job.call_arguments(payload)
    for hook in job_hooks(job.target, "on_failure"):
        try:
            hook(exc, *args, **kwargs)
        except Exception:
            logger.exception("on_failure hook %s of job %s raised", getattr(hook, "__name__", hook), job.name)


def _around_chain(
    job: Job, payload: Payload, args: list[Any], kwargs: dict[str, Any], returned: list[Any]
) -> Callable[[], Any]:
    def innermost() -> Any:
        returned[0] = job.perform_payload(payload)
        return returned[0]

    call = innermost
    for hook in reversed(job_hooks(job.target, "around_perform")):
        call = _wrap(hook, call, args, kwargs)
    return call


def _wrap(
    hook: Callable[..., Any], inner: Callable[[], Any], args: list[Any], kwargs: dict[str, Any]
) -> Callable[[], Any]:
    return lambda: hook(inner, *args, **kwargs)
