from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import autodiscover_modules, import_string

from . import checks, conf, connection, metrics, signals


class ResqueConfig(AppConfig):
    name = "django_resque"
    verbose_name = "Resque"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        autodiscover_modules("jobs")
        if uses_resque_task_backend(getattr(settings, "TASKS", {})):
            # Django tasks register as jobs when defined: import every app's tasks module
            # so the worker knows them. Nothing named in Redis is ever imported.
            autodiscover_modules("tasks")
        checks.register_checks()
        signals.job_finished.connect(metrics.on_job_finished, dispatch_uid="django_resque.metrics")
        setting_changed.connect(_reset_on_change, dispatch_uid="django_resque.settings")


def _reset_on_change(*, setting: str, **kwargs: object) -> None:
    if setting != "RESQUE":
        return
    conf.reset()
    connection.reset()


def uses_resque_task_backend(tasks_setting: Any) -> bool:
    """Whether a TASKS backend is ResqueBackend (or a subclass); paths come from settings only."""
    if not isinstance(tasks_setting, dict):
        return False
    for params in tasks_setting.values():
        path = params.get("BACKEND") if isinstance(params, dict) else None
        if path == "django_resque.backends.ResqueBackend":
            return True
        if isinstance(path, str) and _is_resque_backend_class(path):
            return True
    return False


def _is_resque_backend_class(path: str) -> bool:
    try:
        backend_class = import_string(path)
    except ImportError:
        return False  # the Tasks framework reports a backend that does not import
    # Imported here, not at the top: it needs the optional Tasks framework.
    from .tasks.backend import ResqueBackend

    return isinstance(backend_class, type) and issubclass(backend_class, ResqueBackend)
