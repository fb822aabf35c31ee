"""A job by its id: the overview's find box, the job's status page, and cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from .. import handle
from ..handle import JobHandle
from .page import Action, Crumb, admin_url, render_page
from .permissions import action, can_change, view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


@view_required
def find_job(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """``?id=...`` from the find box: the job's page, or back to the overview saying what is wrong."""
    job_id = request.GET.get("id", "").strip()
    if not handle.is_valid_id(job_id):
        messages.error(request, "A job id is 1 to 64 of the characters A-Z a-z 0-9 _ -.")
        return redirect(admin_url(model_admin, "overview_changelist"))
    return redirect(job_url(model_admin, job_id))


def job_url(model_admin: ModelAdmin, job_id: str) -> str:
    return admin_url(model_admin, "overview_job", job_id)


def checked_id(job_id: str) -> str:
    if not handle.is_valid_id(job_id):
        raise Http404("Not a job id: 1 to 64 of the characters A-Z a-z 0-9 _ -.")
    return job_id


@view_required
def job_status(request: HttpRequest, model_admin: ModelAdmin, job_id: str) -> HttpResponse:
    """What is known of one job (``fetch``), with Cancel buttons while it is not over."""
    found = handle.fetch(checked_id(job_id))
    cancel_url = admin_url(model_admin, "overview_cancel_job", found.id)
    tools = []
    if can_change(request) and not found.is_over and found.status != "unknown":
        tools = [Action("Cancel", cancel_url, danger=True), Action("Kill if running", cancel_url, {"kill": "1"})]
    return render_page(
        request,
        model_admin,
        "admin/django_resque/job_status.html",
        title="Job %s" % found.id,
        crumbs=(Crumb("Overview", admin_url(model_admin, "overview_changelist")), Crumb(found.id)),
        job=found,
        fields=_fields(found),
        tools=tools,
    )


def _fields(found: JobHandle) -> list[tuple[str, object]]:
    """(label, value) rows, the empty ones left out."""
    rows: list[tuple[str, object]] = [
        ("Status", found.status),
        ("Why", found.reason),
        ("Job", found.name),
        ("Queue", found.queue),
        ("Enqueued at", found.enqueued_at),
        ("Runs at", found.run_at),
        ("Started at", found.started_at),
        ("Finished at", found.finished_at),
        ("Worker", found.worker),
        ("Attempt", found.attempt or ""),
        ("Exception", found.exception),
        ("Message", found.error),
        ("Failure record", found.failure),
    ]
    if found.has_result:
        rows.append(("Result", handle.result_text(found)))
    return [(label, value) for label, value in rows if value not in ("", None)]


@action
def cancel_job(request: HttpRequest, model_admin: ModelAdmin, job_id: str) -> HttpResponse:
    """Cancel (POST ``kill=1`` to end a running job's process too); back to the job's page."""
    done = handle.cancel(checked_id(job_id), kill=request.POST.get("kill") == "1")
    text = "Job %s is %s." % (done.id, done.status) + (" %s." % done.reason if done.reason else "")
    (messages.success if done.status == "cancelled" else messages.warning)(request, text)
    return redirect(job_url(model_admin, done.id))
