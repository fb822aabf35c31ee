from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.module_loading import autodiscover_modules

from . import checks, conf, connection, metrics, signals


class ResqueConfig(AppConfig):
    name = "django_resque"
    verbose_name = "Resque"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        autodiscover_modules("jobs")
        checks.register_checks()
        signals.job_finished.connect(metrics.on_job_finished, dispatch_uid="django_resque.metrics")
        setting_changed.connect(_reset_on_change, dispatch_uid="django_resque.settings")


def _reset_on_change(*, setting: str, **kwargs: object) -> None:
    if setting != "RESQUE":
        return
    conf.reset()
    connection.reset()
