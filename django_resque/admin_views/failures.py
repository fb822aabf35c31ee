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
from ..handle import is_valid_id
from ..payload import dumps
from . import bulk_runs
from .page import Action, Cell, Crumb, Row, admin_url, bounded_index, parse_index, render_page, shorten
from .pagination import PER_PAGE, paginate
from .permissions import action, can_change, change_required, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

FILTERS = ("queue", "job", "exception")
_TARGET = re.compile(r"^([0-9]+):([0-9a-f]{40}):(.*)$", re.DOTALL)
MAX_SELECTED = 4 * PER_PAGE  # targets one "selected" action takes: a few pages' worth
Target = tuple[int, str, str | None]


def _filters(data: QueryDict) -> dict[str, str]:
    """The non-empty ``queue``/``job``/``exception`` filters of a request."""
    return {name: data[name].strip() for name in FILTERS if data.get(name, "").strip()}


def _get(filters: dict[str, str], name: str) -> str | None:
    return filters.get(name)


def _list_url(model_admin: ModelAdmin, filters: dict[str, str], page: str = "", start: str = "") -> str:
    query = {
        **filters,
        **({"page": page} if parse_index(page) is not None else {}),
        **({"from": start} if parse_index(start) is not None else {}),
    }
    return admin_url(model_admin, "failedjob_changelist", query=urlencode(query))


def _back(model_admin: ModelAdmin, data: QueryDict) -> str:
    """The list page a form came from."""
    return _list_url(model_admin, _filters(data), data.get("page", ""), data.get("from", ""))


def _position(request: HttpRequest) -> int:
    """``?from=N``: where a filtered list starts reading (0 by default); anything else is a 404."""
    value = request.GET.get("from", "")
    if value == "":
        return 0
    position = parse_index(value)
    if position is None:
        raise Http404("from must be a record position")
    return position


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
    """One page of failures, oldest first: only its 25 records are read.

    With filters, a page reads forward from ``?from=`` until it has 25 matches or has
    read ``failure_api.SCAN_BUDGET`` records, and links to where it stopped: bounded
    work per request, whatever the list's length (no total count of matches).
    """
    filters = _filters(request.GET)
    if filters:
        return _filtered_list(request, model_admin, filters)
    page = paginate(request, failure_api.count(), lambda offset, count: failure_api.page(offset, count))
    common = {"page": str(page.number)}
    return _render_list(request, model_admin, filters, common, page.object_list, page=page)


def _filtered_list(request: HttpRequest, model_admin: ModelAdmin, filters: dict[str, str]) -> HttpResponse:
    start = _position(request)
    found = failure_api.find(
        start, PER_PAGE, queue=_get(filters, "queue"), job=_get(filters, "job"), exception=_get(filters, "exception")
    )
    common = {**filters, "from": str(start)}
    stop = found.next_start if found.next_start is not None else found.total
    cursor = {
        "read": "Records %d to %d of %d read" % (min(start + 1, stop), stop, found.total) if stop else "",
        "first_url": _list_url(model_admin, filters) if start else "",
        "next_url": _list_url(model_admin, filters, start=str(found.next_start)) if found.next_start else "",
    }
    return _render_list(request, model_admin, filters, common, found.entries, cursor=cursor)


def _render_list(
    request: HttpRequest,
    model_admin: ModelAdmin,
    filters: dict[str, str],
    common: dict[str, str],
    entries: list[failure_api.FailedJob],
    **context: Any,
) -> HttpResponse:
    allowed = can_change(request)
    rows = [_failure_row(model_admin, entry, common, allowed) for entry in entries]
    return render_page(
        request,
        model_admin,
        "admin/django_resque/list.html",
        title="Failed jobs",
        crumbs=(Crumb("Failed jobs"),),
        columns=["Failed at", "Queue", "Job", "Exception", "Error", "Retried at"],
        rows=rows,
        empty="No failed jobs%s." % (" match these filters here" if filters else ""),
        filters=[(name, filters.get(name, "")) for name in FILTERS],
        filter_reset_url=admin_url(model_admin, "failedjob_changelist"),
        bulk_actions=[{"value": "retry", "label": "Retry selected"}, {"value": "delete", "label": "Delete selected"}]
        if allowed and rows
        else [],
        bulk_url=admin_url(model_admin, "failedjob_bulk"),
        bulk_fields=common,
        tools=_tools(model_admin, filters) if allowed and (rows or filters) else [],
        **context,
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
            Cell(shorten(entry.text, 200), code=True),
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
    job_id = record.payload.get("id") if record is not None and isinstance(record.payload, dict) else None
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
        job_url=admin_url(model_admin, "overview_job", job_id) if is_valid_id(job_id) else "",
        job_id=job_id if is_valid_id(job_id) else "",
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
    return redirect(_back(model_admin, request.POST))


@action
def bulk(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """Retry or delete exactly the selected failures: only those records are read, each
    confirmed by content, all of a list or none."""
    verb = request.POST.get("action")
    values = request.POST.getlist("selected")
    targets = [_parse_target(value) for value in values]
    if verb not in ("retry", "delete") or None in targets or len(targets) > MAX_SELECTED:
        return HttpResponseBadRequest(
            "POST 'action' (retry or delete) and at most %d 'selected' targets '<index>:<digest>:<list>'."
            % MAX_SELECTED
        )
    back = redirect(_back(model_admin, request.POST))
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
    """GET: confirm retrying or deleting every failure matching the filters; POST: start it
    in the background (``bulk_runs``) and show its progress."""
    data = request.POST if request.method == "POST" else request.GET
    verb, filters = data.get("action"), _filters(data)
    if verb not in ("retry", "delete"):
        return HttpResponseBadRequest("'action' must be retry or delete.")
    described = ", ".join("%s %s" % item for item in filters.items())
    if request.method == "POST":
        change = failure_api.retry_all if verb == "retry" else failure_api.remove_all
        label = "%s all failed jobs%s" % (verb.capitalize(), " matching " + described if described else "")
        run_id = bulk_runs.start(
            label,
            lambda on_progress: change(
                queue=_get(filters, "queue"),
                job=_get(filters, "job"),
                exception=_get(filters, "exception"),
                on_progress=on_progress,
            ),
        )
        return redirect(admin_url(model_admin, "failedjob_run", run_id, query=urlencode(filters)))
    total = failure_api.count()
    question = (
        "%s every failed job matching %s? Each of the %d recorded failures is checked, in batches."
        % (verb.capitalize(), described, total)
        if filters
        else "%s all %d failed job(s)?" % (verb.capitalize(), total)
    )
    return render_page(
        request,
        model_admin,
        "admin/django_resque/confirm.html",
        title="%s failed jobs?" % verb.capitalize(),
        crumbs=(Crumb("Failed jobs", _list_url(model_admin, filters)), Crumb(verb.capitalize())),
        question=question,
        confirm_label="Yes, %s them" % verb,
        cancel_url=_list_url(model_admin, filters),
        fields={**filters, "action": verb},
    )


@view_required
def run_status(request: HttpRequest, model_admin: ModelAdmin, run_id: str) -> HttpResponse:
    """A background bulk change: its progress while it runs (the page reloads), then its result."""
    run = bulk_runs.get(run_id)
    if run is None:
        raise Http404("No such bulk change (they are kept for a day).")
    back = _list_url(model_admin, _filters(request.GET))
    return render_page(
        request,
        model_admin,
        "admin/django_resque/run.html",
        title=run.label,
        crumbs=(Crumb("Failed jobs", back), Crumb(run.label)),
        run=run,
        result=_describe(run),
        back_url=back,
        refresh=1 if run.running else None,
    )


def _describe(run: bulk_runs.Run) -> str:
    verb = "Retried" if run.label.startswith("Retry") else "Deleted"
    counts = "%s %d failed job(s)" % (verb, run.done)
    if run.skipped:
        counts += ", skipped %d without a job payload to push" % run.skipped
    if run.state == "done":
        return counts + "."
    if run.state == "failed":
        return "Stopped: %s (%s so far.)" % (run.message, counts)
    if run.stalled:
        return "Stopped without finishing (its web process ended?): %s. Run it again for the rest." % counts
    return "%s so far: %d of about %d records checked." % (counts, min(run.seen, run.total), run.total)


@change_required
def clear(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """GET: confirm; POST: forget every failure (one UNLINK: Redis frees the list in the background)."""
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
