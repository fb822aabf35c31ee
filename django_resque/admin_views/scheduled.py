"""Delayed jobs by time (enqueue now, delete) and recurring schedules (run now), through
``delayed`` and ``scheduler.runs``. A delayed job is named by its exact stored
bytes, as resque-scheduler names it, so a form can never hit another job; the page sends
back its time, position and sha1, never the bytes, and the view reads them there."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from .. import delayed
from ..decoding import content_digest, to_epoch
from ..exceptions import MalformedPayloadError, ResqueError
from ..payload import dumps
from ..scheduler import runs
from .page import (
    SHOWN_CHARS,
    Action,
    Cell,
    Crumb,
    Row,
    admin_url,
    bounded_index,
    page_query,
    parse_index,
    render_page,
    shorten,
)
from .pagination import paginate
from .permissions import action, can_change, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from ..delayed import DelayedItem

LIST_TEMPLATE = "admin/django_resque/list.html"


def when(epoch: float | None) -> str:
    moment = to_epoch(epoch) if epoch is not None else None
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ("" if epoch is None else str(epoch))


@view_required
def timestamp_list(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """The times that have delayed jobs, soonest first, with how many wait at each."""
    page = paginate(request, delayed.schedule_size(), lambda offset, count: delayed.timestamps(offset, count))
    rows = [_timestamp_row(model_admin, stamp) for stamp in page.object_list]
    return render_page(
        request,
        model_admin,
        LIST_TEMPLATE,
        title="Delayed jobs",
        crumbs=(Crumb("Delayed jobs"),),
        columns=["Run at", "Jobs"],
        rows=rows,
        page=page,
        empty="No delayed jobs.",
    )


def _timestamp_row(model_admin: ModelAdmin, stamp: int) -> Row:
    if stamp < 0:  # a member another program wrote; the scheduler removes it once due
        return Row([Cell("unreadable: not an epoch", css="error"), Cell("")])
    return Row(
        [Cell(when(stamp), url=admin_url(model_admin, "delayedjob_at", stamp)), Cell(delayed.timestamp_size(stamp))]
    )


@view_required
def jobs_at(request: HttpRequest, model_admin: ModelAdmin, timestamp: int) -> HttpResponse:
    """The jobs waiting at one time, a page at a time."""
    timestamp = bounded_index(timestamp)
    page = paginate(
        request, delayed.timestamp_size(timestamp), lambda offset, count: delayed.items_at(timestamp, offset, count)
    )
    allowed = can_change(request)
    rows = [
        _item_row(model_admin, item, page.start_index() - 1 + position, page.number, allowed)
        for position, item in enumerate(page.object_list)
    ]
    return render_page(
        request,
        model_admin,
        LIST_TEMPLATE,
        title="Delayed jobs at %s" % when(timestamp),
        crumbs=(Crumb("Delayed jobs", admin_url(model_admin, "delayedjob_changelist")), Crumb(when(timestamp))),
        columns=["Job", "Arguments", "Queue"],
        rows=rows,
        page=page,
        empty="No job waits at this time any more.",
    )


def _item_row(model_admin: ModelAdmin, item: DelayedItem, index: int, page_number: int, allowed: bool) -> Row:
    fields = {
        "timestamp": str(item.timestamp),
        "index": str(index),
        "digest": content_digest(item.raw),
        "page": str(page_number),
    }
    actions = (
        [
            Action("Enqueue now", admin_url(model_admin, "delayedjob_enqueue_now"), fields),
            Action("Delete", admin_url(model_admin, "delayedjob_delete"), fields, danger=True),
        ]
        if allowed
        else []
    )
    if item.payload is None:
        return Row(
            [Cell("malformed", css="error"), Cell(shorten(item.raw, SHOWN_CHARS), code=True), Cell("")], actions[1:]
        )
    return Row(
        [Cell(item.payload.name), Cell(shorten(dumps(item.payload.args), SHOWN_CHARS), code=True), Cell(item.queue)],
        actions,
    )


def _posted_item(request: HttpRequest) -> tuple[int, str | None] | None:
    """(time, the item's bytes if it is still at the posted position with that sha1), or
    None for a malformed post."""
    stamp, index = parse_index(request.POST.get("timestamp")), parse_index(request.POST.get("index"))
    digest = request.POST.get("digest", "")
    if stamp is None or index is None or len(digest) != 40:
        return None
    found = delayed.items_at(stamp, index, 1)
    if not found or content_digest(found[0].raw) != digest:
        return stamp, None
    return stamp, found[0].raw


def _back_to(model_admin: ModelAdmin, request: HttpRequest, stamp: int) -> HttpResponse:
    return redirect(admin_url(model_admin, "delayedjob_at", stamp, query=page_query(request.POST.get("page"))))


_BAD_ITEM = "POST fields 'timestamp' (epoch seconds), 'index' and 'digest' (the item's sha1) are required."
_GONE = "That delayed job was no longer waiting (already moved or deleted)."


@action
def enqueue_now(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    posted = _posted_item(request)
    if posted is None:
        return HttpResponseBadRequest(_BAD_ITEM)
    stamp, raw = posted
    if raw is None:
        messages.warning(request, _GONE)
        return _back_to(model_admin, request, stamp)
    try:
        moved = delayed.enqueue_now(stamp, raw)
    except MalformedPayloadError as exc:
        messages.error(request, "Cannot enqueue: %s" % exc)
        return _back_to(model_admin, request, stamp)
    if moved:
        messages.success(request, "Enqueued the delayed job now.")
    else:
        messages.warning(request, _GONE)
    return _back_to(model_admin, request, stamp)


@action
def delete_delayed(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    posted = _posted_item(request)
    if posted is None:
        return HttpResponseBadRequest(_BAD_ITEM)
    stamp, raw = posted
    if raw is not None and delayed.remove_item(raw, [stamp], copies=1):
        messages.success(request, "Deleted the delayed job.")
    else:
        messages.warning(request, _GONE)
    return _back_to(model_admin, request, stamp)


@view_required
def schedule_list(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Recurring schedules with their rule, last run and next run; run one now."""
    statuses = runs.status(time.time())
    page = paginate(request, len(statuses), lambda offset, count: statuses[offset : offset + count])
    run_url = admin_url(model_admin, "schedule_run_now") if can_change(request) else None
    rows = [_schedule_row(status, run_url) for status in page.object_list]
    return render_page(
        request,
        model_admin,
        LIST_TEMPLATE,
        title="Schedules",
        crumbs=(Crumb("Schedules"),),
        columns=["Name", "Job", "Queue", "Rule", "Arguments", "Last run", "Next run"],
        rows=rows,
        page=page,
        empty="No recurring schedule: add some to RESQUE['SCHEDULE'].",
    )


def _schedule_row(status: runs.ScheduleStatus, run_url: str | None) -> Row:
    rule = status.config.get("cron") or ("every %s" % status.config["every"] if "every" in status.config else "")
    last = status.last_run.strftime("%Y-%m-%d %H:%M:%S UTC") if status.last_run else "never"
    if status.entry is None:
        cells = [Cell(status.name), Cell(status.error, css="error"), Cell(""), Cell(str(rule)), Cell(""), Cell(last)]
        return Row([*cells, Cell("")])
    entry = status.entry
    upcoming = status.next_run.strftime("%Y-%m-%d %H:%M:%S UTC") if status.next_run else ""
    actions = [Action("Run now", run_url, {"name": status.name})] if run_url else []
    cells = [
        Cell(status.name),
        Cell(entry.job_name),
        Cell(entry.queue),
        Cell(str(rule)),
        Cell(dumps(entry.args), code=True),
    ]
    return Row([*cells, Cell(last), Cell(upcoming)], actions)


@action
def run_now(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    name = request.POST.get("name", "")
    if not name:
        return HttpResponseBadRequest("POST field 'name' must name a schedule.")
    try:
        entry = runs.run_now(name)
    except ResqueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Enqueued schedule %s now on queue %s." % (name, entry.queue))
    return redirect(admin_url(model_admin, "schedule_changelist"))
