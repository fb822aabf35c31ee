"""Workers: each with host, pid, queues, state, current job, counts, heartbeat and pool;
workers whose heartbeat is stale are marked and can be pruned (``pruning``).
Workers are grouped by host, then by the pool manager that forked them (``resque_pool``
or ``resque_work --workers``); the pools are listed above them with their lines."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from .. import pools, pruning, workers
from ..handle import is_valid_id
from ..payload import dumps
from .page import REFRESH_CHOICES, Action, Cell, Crumb, Row, admin_url, refresh_seconds, render_page, shorten
from .pagination import paginate
from .permissions import action, can_change, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from ..pools import PoolInfo
    from ..workers import WorkerInfo


@view_required
def worker_list(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    running = pools.all_pools()
    pool_of = {(pool.host, pid): pool for pool in running for pid in pool.workers}
    infos = sorted(workers.all_workers(), key=lambda info: _group(info, pool_of))
    page = paginate(request, len(infos), lambda offset, count: infos[offset : offset + count])
    prune_url = admin_url(model_admin, "worker_prune") if can_change(request) else None
    stale = sum(1 for info in infos if info.is_stale)
    return render_page(
        request,
        model_admin,
        "admin/django_resque/workers.html",
        title="Workers",
        crumbs=(Crumb("Workers"),),
        columns=["Host", "PID", "Queues", "State", "Current job", "Since", "Processed", "Failed", "Heartbeat", "Pool"],
        rows=[
            _worker_row(model_admin, info, prune_url, pool_of.get((info.host, info.pid))) for info in page.object_list
        ],
        pools=[_pool_summary(pool) for pool in running],
        page=page,
        empty="No worker is registered. Start one with: python manage.py resque_work",
        refresh=refresh_seconds(request),
        refresh_choices=REFRESH_CHOICES,
        tools=[Action("Prune %d stale worker(s)" % stale, prune_url, {"worker": "*"}, danger=True)]
        if prune_url and stale
        else [],
    )


def _group(info: WorkerInfo, pool_of: dict[tuple[str, int], PoolInfo]) -> tuple[str, int, str]:
    """Sort key: host, then pool (workers of no pool last), then id."""
    pool = pool_of.get((info.host, info.pid))
    return (info.host, pool.pid if pool else 1 << 62, info.id)


def _pool_summary(pool: PoolInfo) -> dict[str, object]:
    lines = ", ".join("%s %d/%d" % (line, pool.running(line), wanted) for line, wanted in pool.lines.items())
    return {"host": pool.host, "pid": pool.pid, "started": pool.started, "lines": lines, "workers": len(pool.workers)}


def _worker_row(model_admin: ModelAdmin, info: WorkerInfo, prune_url: str | None, pool: PoolInfo | None) -> Row:
    job = info.job or {}
    found = job.get("payload")
    payload: dict = found if isinstance(found, dict) else {}
    current = "%s %s" % (payload.get("class", "?"), dumps(payload.get("args", []))) if info.job else ""
    job_id = payload.get("id")
    job_url = admin_url(model_admin, "overview_job", job_id) if is_valid_id(job_id) else None
    if "raw" in job and "payload" not in job:  # the record could not be decoded
        current = "unreadable record: %s" % shorten(job["raw"])
    heartbeat = _when(info.heartbeat) + (" (stale)" if info.is_stale else "")
    cells = [
        Cell(info.host),
        Cell(info.pid),
        Cell(", ".join(info.queues)),
        Cell(info.state),
        Cell(current, url=job_url, code=bool(current)),
        Cell(str(job.get("run_at", "")) if info.job else (info.started or "")),
        Cell(info.processed),
        Cell(info.failed),
        Cell(heartbeat, css="stale" if info.is_stale else ""),
        Cell("pool %d" % pool.pid if pool else ""),
    ]
    actions = [Action("Prune", prune_url, {"worker": info.id}, danger=True)] if prune_url and info.is_stale else []
    return Row(cells, actions, css="stale" if info.is_stale else "")


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "never"


@action
def prune(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Prune one stale worker (``worker=<id>``) or every stale one (``worker=*``).

    Staleness is read again here, so a worker whose heartbeat came back is left alone.
    """
    wanted = request.POST.get("worker", "")
    if not wanted:
        return HttpResponseBadRequest("POST field 'worker' must be a worker id or '*'.")
    candidates = workers.all_workers() if wanted == "*" else [workers.find(wanted)]
    pruned = [info.id for info in candidates if info is not None and info.is_stale]
    for worker_id in pruned:
        pruning.prune(worker_id)
    if pruned:
        messages.success(request, "Pruned %d stale worker(s): %s." % (len(pruned), ", ".join(pruned)))
    else:
        messages.warning(request, "Nothing pruned: no such stale worker (its heartbeat may have come back).")
    return redirect(admin_url(model_admin, "worker_changelist"))
