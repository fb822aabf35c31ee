"""Rendering helpers shared by every page: admin context, breadcrumbs, URLs, the table.

A job list is a ``Table`` of ``Row``s of ``Cell``s rendered by the one list template;
values are plain text there and always autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from .pagination import page_links
from .permissions import can_change

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

REFRESH_CHOICES = (2, 5, 10, 30)


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class Cell:
    """One table cell: text (escaped), optionally a link or monospace."""

    text: Any
    url: str | None = None
    code: bool = False
    css: str = ""


@dataclass(frozen=True)
class Action:
    """A button on a row: a POST form with hidden ``fields`` (or a GET link to a confirm page)."""

    label: str
    url: str
    fields: dict[str, str] = field(default_factory=dict)
    post: bool = True
    danger: bool = False


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    actions: list[Action] = field(default_factory=list)
    select: str | None = None  # value of the row's checkbox for bulk actions, if any
    css: str = ""


def admin_url(model_admin: ModelAdmin, name: str, *args: Any, query: str = "") -> str:
    """``admin:django_resque_<name>`` on the model admin's own site."""
    url = reverse("%s:django_resque_%s" % (model_admin.admin_site.name, name), args=args)
    return f"{url}?{query}" if query else url


def render_page(
    request: HttpRequest,
    model_admin: ModelAdmin,
    template: str,
    *,
    title: str,
    crumbs: tuple[Crumb, ...] = (),
    **context: Any,
) -> TemplateResponse:
    """An admin page: the site's context, ``Home > Resque > ...`` breadcrumbs, ``can_change``."""
    opts = model_admin.opts
    site = model_admin.admin_site.name
    app = Crumb(str(opts.app_config.verbose_name), reverse("%s:app_list" % site, args=[opts.app_label]))
    if "page" in context:
        context["page_links"] = page_links(context["page"])
        context["query_without_page"] = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "crumbs": [app, *crumbs],
            "can_change": can_change(request),
            **context,
        },
    )


def refresh_seconds(request: HttpRequest) -> int | None:
    """``?refresh=N`` (one of REFRESH_CHOICES) for the live poll; anything else is a 404."""
    value = request.GET.get("refresh")
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) not in REFRESH_CHOICES:
        raise Http404("refresh must be one of %s" % ", ".join(map(str, REFRESH_CHOICES)))
    return int(value)
