"""Table-less models: admin menu entries and the app's two permissions, nothing else.

``managed = False`` and no queries: every admin page reads Redis. The permissions live
on ``Overview`` and cover every page (perm strings in ``VIEW_PERMISSION`` and
``CHANGE_PERMISSION``); the other models only add menu entries.
"""

from __future__ import annotations

from django.db import models

VIEW_PERMISSION = "django_resque.view_resque"
CHANGE_PERMISSION = "django_resque.change_resque"


class _MenuEntry(models.Model):
    class Meta:
        abstract = True
        managed = False
        default_permissions = ()


class Overview(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = verbose_name_plural = "overview"
        permissions = [
            ("view_resque", "Can see Resque queues, workers, failed, delayed and scheduled jobs"),
            ("change_resque", "Can delete, clear, retry, enqueue and prune Resque jobs and workers"),
        ]


class Queue(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = "queue"


class Worker(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = "worker"


class FailedJob(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = "failed job"


class DelayedJob(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = "delayed job"


class Schedule(_MenuEntry):
    class Meta(_MenuEntry.Meta):
        verbose_name = "schedule"
