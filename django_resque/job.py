"""The ``@job`` decorator and ``Job``: a registered function or Resque-style class.

@job(queue="mail")
def send_welcome(user_id): ...

handle = send_welcome.delay(42)   # enqueue on "mail" (enqueueing.py); handle.id names the job (handle.py)
send_welcome(42)                  # still runs in-process

@job
class Archive:                     # Resque style: ``queue`` and ``perform``
    queue = "file_serve"
    @classmethod
    def perform(cls, repo_id, branch="master"): ...
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from django.utils import timezone

from . import arguments, conf, enqueueing, handle, queue_hints, registry, retry
from . import payload as payload_codec
from .exceptions import ResqueConfigurationError
from .handle import JobHandle
from .payload import ID_KEY, Payload

T = TypeVar("T")
logger = logging.getLogger(__name__)


class Job:
    """A registered job: its payload name, default queue and the callable that performs it.

    A value with the API on it: its enqueue methods hand over to ``enqueueing.py``, which
    does the work (queues, schedule, unique locks, on-commit batches).
    """

    def __init__(
        self,
        perform: Callable[..., Any],
        *,
        name: str,
        queue: str | None,
        qualname: str,
        on_commit: bool = False,
        timeout: float | None = None,
        target: Any = None,
        retry_policy: retry.RetryPolicy | None = None,
        unique: bool | Callable[..., Any] = False,
        unique_ttl: float | None = None,
        result_ttl: int | None = None,
    ) -> None:
        self.perform = perform
        self.name = name
        self._queue = queue
        self.qualname = qualname
        self.commit_by_default = on_commit
        self.timeout = timeout
        self.target = target if target is not None else perform
        self.retry_policy = retry_policy
        # True (identity = arguments) or a function of the arguments giving the identity.
        self.unique = unique
        self.unique_ttl = unique_ttl
        self.result_ttl = result_ttl  # seconds to keep the return value (None: RESQUE['RESULT_TTL'])

    def __repr__(self) -> str:
        return f"<Job {self.name} queue={self.queue}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run in this process, now, like the undecorated function."""
        return self.perform(*args, **kwargs)

    @property
    def queue(self) -> str:
        return self._queue or conf.get("DEFAULT_QUEUE")

    @functools.cached_property
    def shape(self) -> arguments.Shape:
        """The perform function's signature, read once, for keyword arguments (``arguments``)."""
        return arguments.shape_of(self.perform)

    def payload(self, *args: Any, **kwargs: Any) -> Payload:
        """The payload for this call; raises JobArgumentError on non-JSON arguments.

        Keyword arguments go in ``args`` as a trailing hash the job's signature tells
        apart (``arguments``), so the payload is ``{"class","args"}`` and nothing more.
        """
        if not kwargs:
            return payload_codec.build(self.name, args)
        return Payload(self.name, arguments.join(self.shape, args, kwargs, self.qualname))

    def identified_payload(self, args: tuple[Any, ...], kwargs: dict[str, Any], job_id: str | None = None) -> Payload:
        """``payload(*args, **kwargs)`` carrying ``job_id``, else a new one (``handle.new_id``)."""
        job_id = job_id or handle.new_id()
        if not kwargs:
            return payload_codec.build(self.name, args, job_id=job_id)
        return Payload(self.name, arguments.join(self.shape, args, kwargs, self.qualname), {ID_KEY: job_id})

    def call_arguments(self, payload: Payload) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments of a payload of this job (see ``arguments``)."""
        if payload.has_kwargs:  # a payload written before keywords were read by signature
            return payload.call_arguments()
        return arguments.split(self.shape, payload.args)

    def perform_payload(self, payload: Payload) -> Any:
        """Call the job with a payload's arguments."""
        args, kwargs = self.call_arguments(payload)
        return self.perform(*args, **kwargs)

    # Enqueueing: the API on the job, the work in ``enqueueing.py``
    def delay(self, *args: Any, **kwargs: Any) -> JobHandle:
        """Enqueue on the job's queue (after commit if the job was declared on_commit).

        Returns the job's handle: ``queued``, or ``not enqueued`` (a unique job's
        duplicate, with the reason); false in a boolean test only when not enqueued.
        """
        return enqueueing.on_queue(self, self.queue, args, kwargs)

    def enqueue_to(self, queue: str, *args: Any, **kwargs: Any) -> JobHandle:
        """Enqueue on ``queue`` instead of the job's own; returns as ``delay``."""
        queue_hints.hint_enqueue(queue)
        return enqueueing.on_queue(self, queue, args, kwargs)

    def on_commit(self, *args: Any, **kwargs: Any) -> JobHandle:
        """Enqueue once the current transaction commits; never if it rolls back.

        The jobs a transaction enqueues this way go to Redis together, in one round trip.
        """
        return enqueueing.at_commit(self, self.queue, self.identified_payload(args, kwargs))

    def delay_many(self, calls: Iterable[tuple[Any, ...] | list[Any]]) -> list[JobHandle]:
        """Enqueue one job per argument tuple in a single round trip; their handles, in order."""
        return enqueueing.enqueue_many((self, tuple(args)) for args in calls)

    def enqueue_at(self, when: dt.datetime, *args: Any, **kwargs: Any) -> JobHandle:
        """Run at ``when`` (an aware datetime); the scheduler moves it to the queue."""
        return enqueueing.at_epoch(self, _epoch(when), args, kwargs)

    def enqueue_in(self, delay: float | dt.timedelta, *args: Any, **kwargs: Any) -> JobHandle:
        """Run after ``delay`` seconds (or a timedelta)."""
        seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
        return enqueueing.at_epoch(self, time.time() + seconds, args, kwargs)

    def enqueue_now(self, queue: str, payload: Payload) -> JobHandle:
        """Push ``payload`` on ``queue`` now (or run it, ALWAYS_EAGER); returns as ``delay``."""
        return enqueueing.now(self, queue, payload)


@overload
def job(target: T) -> T: ...


@overload
def job(
    *,
    queue: str | None = ...,
    name: str | None = ...,
    on_commit: bool = ...,
    timeout: float | None = ...,
    retry: int = ...,
    backoff: Any = ...,
    retry_on: Any = ...,
    unique: bool | Callable[..., Any] = ...,
    unique_ttl: float | None = ...,
    result_ttl: int | None = ...,
) -> Callable[[T], T]: ...


def job(
    target: Any = None,
    *,
    queue: str | None = None,
    name: str | None = None,
    on_commit: bool = False,
    timeout: float | None = None,
    retry: int | None = None,
    backoff: Any = None,
    retry_on: Any = None,
    unique: bool | Callable[..., Any] | None = None,
    unique_ttl: float | None = None,
    result_ttl: int | None = None,
) -> Any:
    """Register a function (returns a Job) or a Resque-style class (returns the class).

    ``retry``/``backoff``/``retry_on``: see ``retry.py``; ``unique``/``unique_ttl``: see
    ``unique.py``; ``result_ttl``: seconds to keep the return value (``status.py``).
    Class jobs may declare them as class attributes instead.
    """
    options = {
        "retry": retry,
        "backoff": backoff,
        "retry_on": retry_on,
        "unique": unique,
        "unique_ttl": unique_ttl,
        "result_ttl": result_ttl,
    }

    def decorate(obj: Any) -> Any:
        registered = _make_job(obj, queue=queue, name=name, on_commit=on_commit, timeout=timeout)
        _apply_failure_options(registered, obj, options)
        registry.register(registered)
        if isinstance(obj, type):
            _attach_to_class(obj, registered)
            return obj
        return registered

    return decorate(target) if target is not None else decorate


def _make_job(obj: Any, *, queue: str | None, name: str | None, on_commit: bool, timeout: float | None) -> Job:
    qualname = f"{obj.__module__}.{obj.__qualname__}"
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ResqueConfigurationError(f"@job(timeout=...) on {qualname} must be a positive number, got {timeout!r}.")
    if isinstance(obj, type):
        perform = getattr(obj, "perform", None)
        if not callable(perform):
            raise ResqueConfigurationError(f"Job class {qualname} needs a 'perform' classmethod or staticmethod.")
        queue = queue or getattr(obj, "queue", None)
        timeout = timeout if timeout is not None else getattr(obj, "timeout", None)
    elif not callable(obj):
        raise ResqueConfigurationError(f"@job decorates functions and classes, not {obj!r}.")
    else:
        perform = obj
    if queue is not None and not isinstance(queue, str):
        raise ResqueConfigurationError(f"Queue of job {qualname} must be a string, got {queue!r}.")
    return Job(
        perform, name=name or qualname, queue=queue, qualname=qualname, on_commit=on_commit, timeout=timeout, target=obj
    )


def _apply_failure_options(registered: Job, obj: Any, options: dict[str, Any]) -> None:
    """Retry and unique options, from ``@job`` or else from the job class's attributes."""
    if isinstance(obj, type):
        options = {key: getattr(obj, key, None) if value is None else value for key, value in options.items()}
    where = f"@job on {registered.qualname}"
    registered.retry_policy = retry.make_policy(options["retry"], options["backoff"], options["retry_on"], where)
    is_unique, ttl = options["unique"], options["unique_ttl"]
    if is_unique is not None and not isinstance(is_unique, bool) and not callable(is_unique):
        raise ResqueConfigurationError(f"{where}: unique must be True/False or a function, got {is_unique!r}.")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0):
        raise ResqueConfigurationError(f"{where}: unique_ttl must be a positive number of seconds, got {ttl!r}.")
    registered.unique = is_unique or False
    registered.unique_ttl = ttl
    keep = options["result_ttl"]
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep <= 0):
        raise ResqueConfigurationError(f"{where}: result_ttl must be a positive integer of seconds, got {keep!r}.")
    registered.result_ttl = keep


def _attach_to_class(cls: type, registered: Job) -> None:
    cls.job = registered  # type: ignore[attr-defined]
    for method in ("delay", "enqueue_to", "on_commit", "delay_many", "enqueue_at", "enqueue_in"):
        setattr(cls, method, getattr(registered, method))


def _epoch(when: dt.datetime) -> float:
    if when.tzinfo is None:
        when = timezone.make_aware(when)
    return when.timestamp()
