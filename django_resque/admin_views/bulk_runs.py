"""Admin bulk changes that may take long (retry or delete every matching failure) run in
a thread of the web process, so no request waits on them; the thread records its
progress in a Redis hash that any web process can show, and the admin's status page
reloads itself until the run ends.

A run whose process died (restart, deploy) stops updating: after ``STALLED`` seconds
its page says so, with what was done; the change is made in checked batches, so
running it again finishes the rest.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .. import keys
from ..connection import get_redis, translate_errors
from ..decoding import to_text
from ..exceptions import ResqueError
from ..failure.bulk import OnProgress, Progress

logger = logging.getLogger(__name__)

TTL = 24 * 3600  # seconds a run's record is kept after its last update
STALLED = 60  # seconds without an update after which a running run is shown as stopped
_EVERY = 0.5  # seconds between progress writes at most

Change = Callable[[OnProgress], object]
_threads: dict[str, threading.Thread] = {}


@dataclass(frozen=True)
class Run:
    """A bulk change as last recorded: ``state`` is running, done or failed."""

    run_id: str
    label: str
    state: str
    done: int
    skipped: int
    seen: int
    total: int
    message: str
    updated: float

    @property
    def running(self) -> bool:
        return self.state == "running" and not self.stalled

    @property
    def stalled(self) -> bool:
        return self.state == "running" and time.time() - self.updated > STALLED

    @property
    def percent(self) -> int:
        return 100 if self.state != "running" else min(99, 100 * self.seen // self.total) if self.total else 0


def start(label: str, change: Change) -> str:
    """Start ``change(on_progress)`` in a thread; returns the run's id for ``get``."""
    run_id = secrets.token_hex(8)
    _write(run_id, {"label": label, "state": "running", "message": ""}, Progress())
    thread = threading.Thread(target=_run, args=(run_id, change), name="resque-bulk-" + run_id, daemon=True)
    _threads[run_id] = thread
    thread.start()
    return run_id


def get(run_id: str) -> Run | None:
    """The run's last record, or None if unknown or expired."""
    with translate_errors():
        data = {to_text(key): to_text(value) for key, value in get_redis().hgetall(keys.bulk_run(run_id)).items()}
    if not data:
        return None
    try:
        done, skipped, seen, total = (int(data.get(name, "0")) for name in ("done", "skipped", "seen", "total"))
        updated = float(data.get("updated", "0"))
    except ValueError:
        logger.warning("Unreadable bulk run record %s: %r", keys.bulk_run(run_id), data)
        return None
    return Run(
        run_id,
        data.get("label", ""),
        data.get("state", ""),
        done,
        skipped,
        seen,
        total,
        data.get("message", ""),
        updated,
    )


def wait(run_id: str, timeout: float | None = None) -> None:
    """Wait for a run started by this process to end (tests, commands)."""
    thread = _threads.get(run_id)
    if thread is not None:
        thread.join(timeout)


class _Reporter:
    """The run's ``on_progress``: writes at most every ``_EVERY`` seconds, keeps the last."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.last = Progress()
        self.written = 0.0

    def __call__(self, progress: Progress) -> None:
        self.last = progress
        if time.monotonic() - self.written >= _EVERY:
            self.written = time.monotonic()
            _write(self.run_id, {}, progress)


def _run(run_id: str, change: Change) -> None:
    report = _Reporter(run_id)
    try:
        change(report)
    except ResqueError as exc:
        _write(run_id, {"state": "failed", "message": str(exc)}, report.last)
    except Exception as exc:  # a thread has no caller to raise to: log it and show it
        logger.exception("Bulk change %s failed", run_id)
        _write(run_id, {"state": "failed", "message": "%s: %s" % (type(exc).__name__, exc)}, report.last)
    else:
        _write(run_id, {"state": "done"}, report.last)
    finally:
        _threads.pop(run_id, None)


def _write(run_id: str, fields: dict[str, str], progress: Progress) -> None:
    record: dict[str | bytes, str] = {
        name: str(getattr(progress, name)) for name in ("done", "skipped", "seen", "total")
    }
    record.update(fields, updated=repr(time.time()))
    pipe = get_redis().pipeline(transaction=True)
    pipe.hset(keys.bulk_run(run_id), mapping=record)  # type: ignore[arg-type]  # str values are fine
    pipe.expire(keys.bulk_run(run_id), TTL)
    try:
        with translate_errors():
            pipe.execute()
    except ResqueError:  # progress is best effort: the change itself goes on
        logger.warning("Could not record the progress of bulk change %s", run_id, exc_info=True)
