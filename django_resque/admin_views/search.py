"""Find a job: one search box over running, queued, delayed and failed jobs, bounded per request."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse

from .. import handle, search
from ..decoding import content_digest
from ..queue import is_valid_name
from .page import SHOWN_CHARS, Cell, Crumb, Row, admin_url, render_page, shorten
from .permissions import view_required
from .scheduled import when

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PLACE_LABELS = {"running": "Running", "queued": "Queued", "delayed": "Delayed", "failed": "Failed"}


@view_required
def find_job(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """``?q=`` a job's id, or text in its class or arguments; ``?at=`` where the last page stopped.

    An id is also looked up directly (``handle.fetch``): its status shows above the matches.
    """
    query = request.GET.get("q", "").strip()[: search.MAX_QUERY]
    start = search.Position.parse(request.GET.get("at"))
    if start is None:
        raise Http404("at must be a position such as 1.0.200")
    result = search.find(query, start) if query else search.Result([], 0, None)
    by_id = handle.fetch(query) if handle.is_valid_id(query) and start == search.Position() else None
    url = admin_url(model_admin, "overview_search")
    return render_page(
        request,
        model_admin,
        "admin/django_resque/search.html",
        title="Find a job",
        crumbs=(Crumb("Overview", admin_url(model_admin, "overview_changelist")), Crumb("Find a job")),
        query=query,
        by_id=by_id if by_id is not None and by_id.status != "unknown" else None,
        by_id_url=admin_url(model_admin, "overview_job", query) if by_id is not None else "",
        columns=["Where", "Job", "Arguments", "Id"],
        can_change=False,  # nothing to do here: each match links to its page
        rows=[_row(model_admin, match) for match in result.matches],
        empty="No job matches %r in what was read." % query if query else "Type a job's class or argument text.",
        cursor={
            "read": "%d stored jobs read" % result.read if query else "",
            "first_url": f"{url}?{urlencode({'q': query})}" if query and start != search.Position() else "",
            "next_url": f"{url}?{urlencode({'q': query, 'at': result.next.encode()})}" if query and result.next else "",
        },
    )


def _row(model_admin: ModelAdmin, match: search.Match) -> Row:
    where, url = _where(model_admin, match)
    id_url = admin_url(model_admin, "overview_job", match.id) if handle.is_valid_id(match.id) else None
    return Row(
        [
            Cell(where, url=url),
            Cell(match.job, code=True),
            Cell(shorten(match.args, SHOWN_CHARS), code=True),
            Cell(match.id, url=id_url, code=True),
        ]
    )


def _where(model_admin: ModelAdmin, match: search.Match) -> tuple[str, str | None]:
    """What to call the place the job was found, and the admin page that shows it there."""
    label = PLACE_LABELS[match.place]
    if match.place == "running":
        return f"{label} on {match.where}", admin_url(model_admin, "worker_changelist")
    if match.place == "queued":
        url = None
        if is_valid_name(match.where):
            url = admin_url(
                model_admin, "queue_job", match.where, match.index, query="digest=" + content_digest(match.raw)
            )
        return f"{label} in {match.where}, #{match.index + 1}", url
    if match.place == "delayed":
        return f"{label} until {when(int(match.where))}", admin_url(model_admin, "delayedjob_at", int(match.where))
    return f"{label}, #{match.index + 1}", admin_url(model_admin, "failedjob_detail", match.index)
