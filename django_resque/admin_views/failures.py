"""Failed jobs: a filtered list, one failure in full, retry and delete (one, selected,
all matching), clear. Every change goes through ``failure.api``, which confirms each
target by its index AND its content (a sha1 digest), so a list that moved meanwhile is
refused instead of hitting the wrong job.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect
from django.utils.http import urlencode

from ..failure import api as failure_api
from ..payload import dumps
from .page import Action, Cell, Crumb, Row, admin_url, bounded_index, parse_index, render_page, shorten
from .pagination import paginate
from .permissions import action, can_change, change_required, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

FILTERS = ("queue", "job", "exception")
_TARGET = re.compile(r"^([0-9]+):([0-9a-f]{40}):(.*)$", re.DOTALL)
Target = tuple[int, str, str | None]


def _filters(data: QueryDict) -> dict[str, str]:
    """The non-empty ``queue``/``job``/``exception`` filters of a request."""
    return {name: data[name].strip() for name in FILTERS if data.get(name, "").strip()}


def _list_url(model_admin: ModelAdmin, filters: dict[str, str], page: str = "") -> str:
    query = {**filters, **({"page": page} if parse_index(page) is not None else {})}
    return admin_url(model_admin, "failedjob_changelist", query=urlencode(query))


def _target(entry: failure_api.FailedJob) -> str:
    """``index:digest:list``: what a form sends back to name one failure."""
    return "%d:%s:%s" % (entry.index, entry.digest, entry.queue_list or "")


def _parse_target(value: str) -> Target | None:
    found = _TARGET.match(value)
    index = parse_index(found[1]) if found is not None else None
    if found is None or index is None:
        return None
    return index, found[2], found[3] or None


@view_required
def failed_list(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """One page of the failures matching the filters, oldest first."""
    filters = _filters(request.GET)
    page = paginate(
        request,
        failure_api.count(**filters),
        lambda offset, count: failure_api.page(offset, count, **filters),
    )
    allowed = can_change(request)
    common = {**filters, "page": str(page.number)}
    rows = [_failure_row(model_admin, entry, common, allowed) for entry in page.object_list]
    return render_page(
        request,
        model_admin,
        "admin/django_resque/list.html",
        title="Failed jobs",
        crumbs=(Crumb("Failed jobs"),),
        columns=["Failed at", "Queue", "Job", "Exception", "Error", "Retried at"],
        rows=rows,
        page=page,
        empty="No failed jobs%s." % (" match these filters" if filters else ""),
        filters=[(name, filters.get(name, "")) for name in FILTERS],
        filter_reset_url=admin_url(model_admin, "failedjob_changelist"),
        bulk_actions=[{"value": "retry", "label": "Retry selected"}, {"value": "delete", "label": "Delete selected"}]
        if allowed and rows
        else [],
        bulk_url=admin_url(model_admin, "failedjob_bulk"),
        bulk_fields=common,
        tools=_tools(model_admin, filters) if allowed and page.paginator.count else [],
    )


def _failure_row(model_admin: ModelAdmin, entry: failure_api.FailedJob, common: dict[str, str], allowed: bool) -> Row:
    record = entry.record
    detail = admin_url(model_admin, "failedjob_detail", entry.index, query=urlencode({"list": entry.queue_list or ""}))
    fields = {**common, "target": _target(entry)}
    actions = (
        [
            Action("Retry", admin_url(model_admin, "failedjob_retry"), fields),
            Action("Delete", admin_url(model_admin, "failedjob_delete"), fields, danger=True),
        ]
        if allowed
        else []
    )
    if record is None:
        cells = [
            Cell("?"),
            Cell(""),
            Cell("unreadable record", url=detail, css="error"),
            Cell(""),
            Cell(entry.text, code=True),
            Cell(""),
        ]
        return Row(cells, actions[1:], select=_target(entry))
    cells = [
        Cell(record.failed_at),
        Cell(record.queue),
        Cell(record.job_name or "?", url=detail),
        Cell(record.exception),
        Cell(shorten(record.error), code=True),
        Cell(record.retried_at or ""),
    ]
    return Row(cells, actions, select=_target(entry), css="retried" if record.retried_at else "")


def _tools(model_admin: ModelAdmin, filters: dict[str, str]) -> list[Action]:
    confirm = admin_url(model_admin, "failedjob_all")
    matching = " matching" if filters else ""
    tools = [
        Action("Retry all%s" % matching, "%s?%s" % (confirm, urlencode({**filters, "action": "retry"})), post=False),
        Action("Delete all%s" % matching, "%s?%s" % (confirm, urlencode({**filters, "action": "delete"})), post=False),
    ]
    if not filters:
        tools.append(Action("Clear", admin_url(model_admin, "failedjob_clear"), post=False, danger=True))
    return tools


@view_required
def failed_detail(request: HttpRequest, model_admin: ModelAdmin, index: int) -> HttpResponse:
    """One failure in full: arguments, exception, message, backtrace, raw record."""
    queue_list = request.GET.get("list") or None
    index = bounded_index(index)
    try:
        entry = failure_api.get(index, queue_list)
    except failure_api.FailureNotFoundError as exc:
        raise Http404(str(exc)) from exc
    record = entry.record
    fields = {"target": _target(entry)}
    return render_page(
        request,
        model_admin,
        "admin/django_resque/failure.html",
        title="Failed job %s" % (record.job_name if record else "(unreadable)"),
        crumbs=(Crumb("Failed jobs", admin_url(model_admin, "failedjob_changelist")), Crumb("#%d" % index)),
        entry=entry,
        record=record,
        arguments=json.dumps(record.payload.get("args"), indent=2, ensure_ascii=False) if record else "",
        payload=dumps(record.payload) if record else "",
        retry=Action("Retry", admin_url(model_admin, "failedjob_retry"), fields),
        delete=Action("Delete", admin_url(model_admin, "failedjob_delete"), fields, danger=True),
    )


@action
def retry_one(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    return _change_one(request, model_admin, failure_api.retry, "Retried")


@action
def delete_one(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    return _change_one(request, model_admin, failure_api.remove, "Deleted")


def _change_one(request: HttpRequest, model_admin: ModelAdmin, change: Any, done: str) -> HttpResponse:
    target = _parse_target(request.POST.get("target", ""))
    if target is None:
        return HttpResponseBadRequest("POST field 'target' must be '<index>:<sha1 digest>:<list>' of one failure.")
    index, digest, queue_list = target
    try:
        entry = change(index, digest, queue_list)
    except failure_api.FailureAPIError as exc:
        messages.error(request, str(exc))
    else:
        name = entry.record.job_name if entry.record else "unreadable record"
        messages.success(request, "%s failed job #%d (%s)." % (done, index, name))
    return redirect(_list_url(model_admin, _filters(request.POST), request.POST.get("page", "")))


@action
def bulk(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Retry or delete the selected failures: all of a list or none, each confirmed by content."""
    verb = request.POST.get("action")
    targets = [_parse_target(value) for value in request.POST.getlist("selected")]
    if verb not in ("retry", "delete") or None in targets:
        return HttpResponseBadRequest(
            "POST 'action' (retry or delete) and 'selected' targets '<index>:<digest>:<list>'."
        )
    back = redirect(_list_url(model_admin, _filters(request.POST), request.POST.get("page", "")))
    if not targets:
        messages.warning(request, "No failed job was selected.")
        return back
    change = failure_api.retry_many if verb == "retry" else failure_api.remove_many
    by_list: dict[str | None, list[tuple[int, str]]] = defaultdict(list)
    for index, digest, queue_list in (t for t in targets if t is not None):
        by_list[queue_list].append((index, digest))
    try:
        done = sum(change(pairs, queue_list) for queue_list, pairs in by_list.items())
    except failure_api.FailureAPIError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "%s %d failed job(s)." % ("Retried" if verb == "retry" else "Deleted", done))
    return back


@change_required
def all_matching(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """GET: confirm retrying or deleting every failure matching the filters; POST: do it."""
    data = request.POST if request.method == "POST" else request.GET
    verb, filters = data.get("action"), _filters(data)
    if verb not in ("retry", "delete"):
        return HttpResponseBadRequest("'action' must be retry or delete.")
    if request.method == "POST":
        change = failure_api.retry_all if verb == "retry" else failure_api.remove_all
        try:
            done = change(**filters)
        except failure_api.FailureAPIError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "%s %d failed job(s)." % ("Retried" if verb == "retry" else "Deleted", done))
        return redirect(_list_url(model_admin, filters))
    described = ", ".join("%s %s" % item for item in filters.items()) or "all"
    return render_page(
        request,
        model_admin,
        "admin/django_resque/confirm.html",
        title="%s failed jobs?" % verb.capitalize(),
        crumbs=(Crumb("Failed jobs", _list_url(model_admin, filters)), Crumb(verb.capitalize())),
        question="%s all %d failed job(s) matching: %s?" % (verb.capitalize(), failure_api.count(**filters), described),
        confirm_label="Yes, %s them" % verb,
        cancel_url=_list_url(model_admin, filters),
        fields={**filters, "action": verb},
    )


@change_required
def clear(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """GET: confirm; POST: forget every failure."""
    if request.method == "POST":
        failure_api.clear()
        messages.success(request, "Cleared every failed job.")
        return redirect(admin_url(model_admin, "failedjob_changelist"))
    return render_page(
        request,
        model_admin,
        "admin/django_resque/confirm.html",
        title="Clear failed jobs?",
        crumbs=(Crumb("Failed jobs", admin_url(model_admin, "failedjob_changelist")), Crumb("Clear")),
        question="Forget all %d failed job(s)? They cannot be retried afterwards." % failure_api.count(),
        confirm_label="Yes, clear them",
        cancel_url=admin_url(model_admin, "failedjob_changelist"),
    )
