"""The overview page and its monitoring twins: the snapshot as JSON, Prometheus metrics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from .. import delayed, history, metrics, stats
from ..decoding import displayable
from ..queue import is_valid_name
from ..scheduler import runs
from .charts import history_charts
from .page import REFRESH_CHOICES, Crumb, admin_url, refresh_seconds, render_page
from .permissions import view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


NEXT_SCHEDULES = 5


def snapshot() -> dict[str, Any]:
    """Counters, queue sizes, workers, delayed jobs and the next schedules, read now."""
    sizes, info = stats.snapshot()
    return {
        "processed": info["processed"],
        "failed": info["failed"],
        "failed_total": info["failed_total"],
        "pending": info["pending"],
        "queues": sizes,
        "workers": {"total": info["workers"], "busy": info["working"], "idle": info["workers"] - info["working"]},
        "delayed": {"jobs": delayed.count_all(), "timestamps": delayed.schedule_size()},
        "next_schedules": next_schedules(),
    }


def next_schedules(limit: int = NEXT_SCHEDULES) -> list[dict[str, Any]]:
    """The valid schedules due soonest: name, job, queue and next run (ISO 8601, UTC)."""
    upcoming = [status for status in runs.status(time.time()) if status.entry and status.next_run]
    upcoming.sort(key=lambda status: status.next_run or 0)
    return [
        {
            "name": status.name,
            "job": status.entry.job_name if status.entry else "",
            "queue": status.entry.queue if status.entry else "",
            "next_run": status.next_run.isoformat() if status.next_run else None,
        }
        for status in upcoming[:limit]
    ]


@view_required
def overview(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Pending per queue, processed/failed totals, workers busy/idle; optional live refresh."""
    refresh = refresh_seconds(request)
    data = snapshot()
    charts = history_charts(history.span_named(request.GET.get("span")))
    return render_page(
        request,
        model_admin,
        "admin/django_resque/overview.html",
        title="Resque overview",
        crumbs=(Crumb("Overview"),),
        stats=data,
        queue_rows=[
            (displayable(name), size, admin_url(model_admin, "queue_jobs", name) if is_valid_name(name) else None)
            for name, size in data["queues"].items()
        ],
        refresh=refresh,
        refresh_choices=REFRESH_CHOICES,
        delayed_url=admin_url(model_admin, "delayedjob_changelist"),
        schedules_url=admin_url(model_admin, "schedule_changelist"),
        json_url=admin_url(model_admin, "overview_stats"),
        metrics_url=admin_url(model_admin, "overview_metrics"),
        redis_url=admin_url(model_admin, "overview_redis"),
        search_url=admin_url(model_admin, "overview_search"),
        **charts,
    )


@view_required
def stats_json(request: HttpRequest, model_admin: ModelAdmin) -> JsonResponse:
    """The overview's numbers as JSON, for monitoring (same login and permission).

    With the charts' numbers under ``history`` (``?span=hour|day|week``, an hour by default;
    ``?queue=<name>`` for one queue's).
    """
    queue = request.GET.get("queue") or None
    if queue is not None and not is_valid_name(queue):
        raise Http404("No such queue name.")
    charts = history_charts(history.span_named(request.GET.get("span")), queue)
    return JsonResponse({**snapshot(), "history": charts["history_data"]})


@view_required
def metrics_text(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """The Prometheus text format of ``metrics.render()``, behind the same permission.

    Without the optional [metrics] extra: 501, saying which extra to install.
    """
    if not metrics.HAS_PROMETHEUS:
        return HttpResponse(metrics.MISSING_EXTRA, status=501, content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
