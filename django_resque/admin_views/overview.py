"""The overview page and its monitoring twins: the snapshot as JSON, Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import metrics, stats
from .. import queue as queue_api
from .page import REFRESH_CHOICES, Crumb, admin_url, refresh_seconds, render_page
from .permissions import view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


def snapshot() -> dict[str, Any]:
    """Counters, queue sizes and worker counts, read from Redis now."""
    info = stats.info()
    sizes = queue_api.sizes(queue_api.names())
    return {
        "processed": info["processed"],
        "failed": info["failed"],
        "pending": sum(sizes.values()),
        "queues": sizes,
        "workers": {"total": info["workers"], "busy": info["working"], "idle": info["workers"] - info["working"]},
    }


@view_required
def overview(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Pending per queue, processed/failed totals, workers busy/idle; optional live refresh."""
    refresh = refresh_seconds(request)
    data = snapshot()
    return render_page(
        request,
        model_admin,
        "admin/django_resque/overview.html",
        title="Resque overview",
        crumbs=(Crumb("Overview"),),
        stats=data,
        queue_rows=[(name, size, admin_url(model_admin, "queue_jobs", name)) for name, size in data["queues"].items()],
        refresh=refresh,
        refresh_choices=REFRESH_CHOICES,
        json_url=admin_url(model_admin, "overview_stats"),
        metrics_url=admin_url(model_admin, "overview_metrics"),
    )


@view_required
def stats_json(request: HttpRequest, model_admin: ModelAdmin) -> JsonResponse:
    """The overview's numbers as JSON, for monitoring (same login and permission)."""
    return JsonResponse(snapshot())


@view_required
def metrics_text(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """The Prometheus text format of ``metrics.render()``, behind the same permission."""
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
