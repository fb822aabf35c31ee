"""The Redis page, as resque-web's Stats tab: the server's figures and our keys by type and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse

from .. import server_info
from .page import Cell, Crumb, Row, admin_url, parse_index, render_page
from .permissions import view_required

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


@view_required
def redis_page(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """INFO's chosen fields, then one page of our keys walked with SCAN from ``?cursor=``."""
    raw_cursor = request.GET.get("cursor")
    cursor = parse_index(raw_cursor) if raw_cursor else 0
    if cursor is None:
        raise Http404("cursor must be a SCAN cursor (a number)")
    found = server_info.keys_page(cursor)
    url = admin_url(model_admin, "overview_redis")
    return render_page(
        request,
        model_admin,
        "admin/django_resque/redis.html",
        title="Redis",
        crumbs=(Crumb("Overview", admin_url(model_admin, "overview_changelist")), Crumb("Redis")),
        server=server_info.server(),
        columns=["Key", "Type", "Size", "Expires in"],
        can_change=False,  # a read-only page
        rows=[_key_row(key) for key in found.keys],
        empty="No keys under the namespace on this page of the walk." if found.cursor else "No keys here.",
        cursor={
            "read": "%d keys, %d SCAN call%s" % (len(found.keys), found.scans, "" if found.scans == 1 else "s"),
            "first_url": url if cursor else "",
            "next_url": f"{url}?cursor={found.cursor}" if found.cursor else "",
        },
    )


def _key_row(key: server_info.KeyInfo) -> Row:
    size = "" if key.size is None else f"{key.size} {key.unit}"
    expires = "" if key.ttl is None else f"{key.ttl} s"
    return Row([Cell(key.name, code=True), Cell(key.type), Cell(size), Cell(expires)])
