"""``django_resque.backends.ResqueBackend``, the path TASKS settings name; the code is in ``tasks/``."""

from __future__ import annotations

from .tasks.backend import ResqueBackend

__all__ = ["ResqueBackend"]
