"""The forking worker. Read API for the admin: ``all_workers``, ``find``, ``prune``."""

from __future__ import annotations

from .pruning import prune
from .registry import WorkerInfo, all_workers, find

__all__ = ["WorkerInfo", "all_workers", "find", "prune"]
