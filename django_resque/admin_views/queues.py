"""Queues: the list with sizes, one queue's jobs a page at a time (arguments cut short,
each job in full on its own page), delete one job, clear. A page names a job by its
position, length and sha1, never by carrying its bytes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from .. import handle, history
from .. import queue as queue_api
from ..decoding import content_digest
from ..exceptions import InvalidQueueNameError, MalformedPayloadError
from ..payload import decode, dumps
from .charts import history_charts
from .page import (
    REFRESH_CHOICES,
    SHOWN_CHARS,
    Action,
    Cell,
    Crumb,
    Row,
    admin_url,
    bounded_index,
    page_query,
    parse_index,
    refresh_seconds,
    render_page,
    shorten,
)
from .pagination import paginate
from .permissions import action, can_change, change_required, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

LIST_TEMPLATE = "admin/django_resque/list.html"
_DIGEST = re.compile(r"[0-9a-f]{40}")


@view_required
def queue_list(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Every known queue with its size (sizes read for the shown page only)."""
    names = queue_api.names()
    page = paginate(request, len(names), lambda offset, count: names[offset : offset + count])
    sizes = queue_api.sizes(page.object_list)
    rows = [_queue_row(request, model_admin, name, sizes[name]) for name in page.object_list]
    return render_page(
        request,
        model_admin,
        LIST_TEMPLATE,
        title="Queues",
        crumbs=(Crumb("Queues"),),
        columns=["Queue", "Jobs"],
        rows=rows,
        page=page,
        empty="No queues yet: a queue appears when its first job is enqueued.",
        refresh=refresh_seconds(request),
        refresh_choices=REFRESH_CHOICES,
    )


def _queue_row(request: HttpRequest, model_admin: ModelAdmin, name: str, size: int) -> Row:
    if not queue_api.is_valid_name(name):  # written by another program: shown, not linked
        return Row([Cell("%r (invalid queue name)" % name, css="error"), Cell(size)])
    actions = [Action("Clear", admin_url(model_admin, "queue_clear", name), post=False, danger=True)]
    return Row(
        [Cell(name, url=admin_url(model_admin, "queue_jobs", name)), Cell(size)],
        actions=actions if can_change(request) and size else [],
    )


def checked_name(name: str) -> str:
    """A queue name from the URL, or a 404 that says what is wrong with it."""
    try:
        queue_api.check_name(name)
    except InvalidQueueNameError as exc:
        raise Http404(str(exc)) from exc
    return name


@view_required
def queue_jobs(request: HttpRequest, model_admin: ModelAdmin, name: str) -> HttpResponse:
    """One page of a queue's jobs, read with LRANGE; malformed payloads shown raw."""
    name = checked_name(name)
    page = paginate(request, queue_api.size(name), lambda offset, count: queue_api.peek_raw(name, offset, count))
    delete_url = admin_url(model_admin, "queue_delete_job", name)
    allowed = can_change(request)
    rows = [
        _job_row(
            model_admin, name, page.start_index() - 1 + position, raw, delete_url if allowed else None, page.number
        )
        for position, raw in enumerate(page.object_list)
    ]
    return render_page(
        request,
        model_admin,
        LIST_TEMPLATE,
        title="Queue %s" % name,
        crumbs=(Crumb("Queues", admin_url(model_admin, "queue_changelist")), Crumb(name)),
        columns=["#", "Job", "Arguments", "Id"],
        rows=rows,
        page=page,
        empty="This queue is empty.",
        tools=[Action("Clear queue", admin_url(model_admin, "queue_clear", name), post=False, danger=True)]
        if allowed and page.paginator.count
        else [],
        refresh=refresh_seconds(request),
        refresh_choices=REFRESH_CHOICES,
        **history_charts(history.span_named(request.GET.get("span")), queue=name),
    )


def _job_row(
    model_admin: ModelAdmin, name: str, index: int, stored: bytes | str, delete_url: str | None, page_number: int
) -> Row:
    raw = stored.encode() if isinstance(stored, str) else stored
    digest = content_digest(raw)
    fields = {"index": str(index), "length": str(len(raw)), "digest": digest, "page": str(page_number)}
    actions = [Action("Delete", delete_url, fields, danger=True)] if delete_url else []
    full = admin_url(model_admin, "queue_job", name, index, query="digest=" + digest)
    try:
        payload = decode(raw)
    except MalformedPayloadError as exc:
        text = shorten(raw.decode("utf-8", errors="replace"), SHOWN_CHARS)
        return Row(
            [
                Cell(index + 1, url=full),
                Cell("malformed: %s" % exc.reason, css="error"),
                Cell(text, code=True),
                Cell(""),
            ],
            actions,
        )
    job_id = payload.id if handle.is_valid_id(payload.id) else None
    if job_id and delete_url:
        actions.insert(0, Action("Cancel", admin_url(model_admin, "overview_cancel_job", job_id)))
    id_cell = Cell(job_id, url=admin_url(model_admin, "overview_job", job_id), code=True) if job_id else Cell("")
    return Row(
        [
            Cell(index + 1, url=full),
            Cell(payload.name),
            Cell(shorten(dumps(payload.args), SHOWN_CHARS), code=True),
            id_cell,
        ],
        actions,
    )


@view_required
def queue_job(request: HttpRequest, model_admin: ModelAdmin, name: str, index: int) -> HttpResponse:
    """One job in full, at its position; says so if another job is there now."""
    name, index = checked_name(name), bounded_index(index)
    found = queue_api.peek_raw(name, index, 1)
    if not found:
        raise Http404("No job at position %d of queue %s (taken or deleted)." % (index + 1, name))
    raw = found[0].encode() if isinstance(found[0], str) else found[0]
    digest = content_digest(raw)
    try:
        payload = decode(raw)
    except MalformedPayloadError:
        payload = None
    job_id = str(payload.id) if payload is not None and handle.is_valid_id(payload.id) else ""
    return render_page(
        request,
        model_admin,
        "admin/django_resque/job.html",
        title="Job #%d of queue %s" % (index + 1, name),
        crumbs=(
            Crumb("Queues", admin_url(model_admin, "queue_changelist")),
            Crumb(name, admin_url(model_admin, "queue_jobs", name)),
            Crumb("#%d" % (index + 1)),
        ),
        moved=request.GET.get("digest", digest) != digest,
        name=payload.name if payload else "",
        job_id=job_id,
        job_url=admin_url(model_admin, "overview_job", job_id) if job_id else "",
        cancel_url=admin_url(model_admin, "overview_cancel_job", job_id) if job_id else "",
        arguments=dumps(payload.args) if payload else "",
        raw=raw.decode("utf-8", errors="replace"),
    )


@action
def delete_job(request: HttpRequest, model_admin: ModelAdmin, name: str) -> HttpResponse:
    """Remove one job, named by its position, length and sha1; a job already gone is reported."""
    name = checked_name(name)
    index, length = parse_index(request.POST.get("index")), parse_index(request.POST.get("length"))
    digest = request.POST.get("digest", "")
    if index is None or length is None or not _DIGEST.fullmatch(digest):
        return HttpResponseBadRequest("POST fields 'index', 'length' and 'digest' (sha1) must name the job.")
    if queue_api.remove_job_at(name, index, length, digest):
        messages.success(request, "Deleted one job from queue %s." % name)
    else:
        messages.warning(request, "That job was no longer in queue %s (already taken or deleted)." % name)
    return redirect(admin_url(model_admin, "queue_jobs", name, query=page_query(request.POST.get("page"))))


@change_required
def clear_queue(request: HttpRequest, model_admin: ModelAdmin, name: str) -> HttpResponse:
    """GET: a confirmation page; POST: drop every job of the queue."""
    name = checked_name(name)
    if request.method == "POST":
        dropped = queue_api.clear(name)
        messages.success(request, "Cleared queue %s: %d job(s) deleted." % (name, dropped))
        return redirect(admin_url(model_admin, "queue_changelist"))
    return render_page(
        request,
        model_admin,
        "admin/django_resque/confirm.html",
        title="Clear queue %s?" % name,
        crumbs=(
            Crumb("Queues", admin_url(model_admin, "queue_changelist")),
            Crumb(name, admin_url(model_admin, "queue_jobs", name)),
            Crumb("Clear"),
        ),
        question="Delete all %d job(s) waiting in queue %s? They will not run." % (queue_api.size(name), name),
        confirm_label="Yes, clear the queue",
        cancel_url=admin_url(model_admin, "queue_jobs", name),
    )
