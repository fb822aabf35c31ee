"""Unique jobs: at most one queued-or-running copy (filled in by the failures issue).

Contract with the worker: it calls ``release(payload)`` after a job succeeds;
``failure.handle`` releases (or keeps, while retrying) on failure.
"""

from __future__ import annotations

from typing import Any


def release(payload: dict[str, Any]) -> None:
    """Let another copy of this job be enqueued. No-op until unique jobs exist."""
