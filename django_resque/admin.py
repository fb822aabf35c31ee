"""Registers the Resque menu entries; each admin's ``get_urls`` mounts its Redis pages.

Every view is wrapped in ``admin_site.admin_view`` (staff check, never_cache, CSRF);
the app's view/change permissions are checked in ``admin_views.permissions``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from . import models
from .admin_views import failures, jobs, overview, queues, redis_server, scheduled, search, workers
from .admin_views.permissions import can_view

Page = tuple[str, Callable[..., HttpResponse], str]


class ResquePageAdmin(admin.ModelAdmin):
    """A menu entry whose pages read Redis: no rows to add, change or delete."""

    def pages(self) -> list[Page]:
        """(route, view, url name suffix); the first is the menu entry's ``changelist``."""
        raise NotImplementedError

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        prefix = "%s_%s" % (self.opts.app_label, self.opts.model_name)
        return [path(route, self._wrap(view), name=f"{prefix}_{suffix}") for route, view, suffix in self.pages()]

    def _wrap(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.current_app = self.admin_site.name
            return view(request, self, *args, **kwargs)

        return self.admin_site.admin_view(update_wrapper(page, view))


@admin.register(models.Overview)
class OverviewAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        return [
            ("", overview.overview, "changelist"),
            ("stats.json", overview.stats_json, "stats"),
            ("metrics", overview.metrics_text, "metrics"),
            ("redis/", redis_server.redis_page, "redis"),
            ("find/", search.find_job, "search"),
            ("job/", jobs.find_job, "find_job"),
            ("job/<str:job_id>/", jobs.job_status, "job"),
            ("job/<str:job_id>/cancel/", jobs.cancel_job, "cancel_job"),
        ]


@admin.register(models.Queue)
class QueueAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        # Queue names may hold "/": each route ends in its own fixed word, as the admin's own.
        return [
            ("", queues.queue_list, "changelist"),
            ("<path:name>/jobs/", queues.queue_jobs, "jobs"),
            ("<path:name>/jobs/<int:index>/", queues.queue_job, "job"),
            ("<path:name>/delete-job/", queues.delete_job, "delete_job"),
            ("<path:name>/clear/", queues.clear_queue, "clear"),
        ]


@admin.register(models.DelayedJob)
class DelayedJobAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        return [
            ("", scheduled.timestamp_list, "changelist"),
            ("<int:timestamp>/", scheduled.jobs_at, "at"),
            ("enqueue-now/", scheduled.enqueue_now, "enqueue_now"),
            ("delete/", scheduled.delete_delayed, "delete"),
        ]


@admin.register(models.Schedule)
class ScheduleAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        return [("", scheduled.schedule_list, "changelist"), ("run-now/", scheduled.run_now, "run_now")]


@admin.register(models.FailedJob)
class FailedJobAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        return [
            ("", failures.failed_list, "changelist"),
            ("<int:index>/", failures.failed_detail, "detail"),
            ("retry/", failures.retry_one, "retry"),
            ("delete/", failures.delete_one, "delete"),
            ("bulk/", failures.bulk, "bulk"),
            ("all/", failures.all_matching, "all"),
            ("run/<str:run_id>/", failures.run_status, "run"),
            ("clear/", failures.clear, "clear"),
        ]


@admin.register(models.Worker)
class WorkerAdmin(ResquePageAdmin):
    def pages(self) -> list[Page]:
        return [("", workers.worker_list, "changelist"), ("prune/", workers.prune, "prune")]
