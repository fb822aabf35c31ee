"""Rendering helpers shared by every page: admin context, breadcrumbs, URLs, the table.

A job list is a ``Table`` of ``Row``s of ``Cell``s rendered by the one list template;
values are plain text there and always autoescaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from ..decoding import MAX_INDEX, displayable
from .pagination import page_links
from .permissions import can_change

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

REFRESH_CHOICES = (2, 5, 10, 30)
_ASCII_NUMBER = re.compile(r"[0-9]{1,19}")


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

    def __post_init__(self) -> None:
        if isinstance(self.text, str):  # text read from Redis may hold invalid UTF-8 (kept as surrogates)
            object.__setattr__(self, "text", displayable(self.text))


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


SHOWN_CHARS = 200  # characters of a value a list cell shows; the rest is on the item's own page


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
    seconds = parse_index(value)
    if seconds not in REFRESH_CHOICES:
        raise Http404("refresh must be one of %s" % ", ".join(map(str, REFRESH_CHOICES)))
    return seconds


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def parse_index(value: str | None) -> int | None:
    """A number from a query string or form: ASCII digits only (``isdigit()`` takes ``²``)
    and at most a signed 64-bit integer, as Redis takes; else None."""
    if not value or not _ASCII_NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_INDEX else None


def page_query(value: str | None) -> str:
    """``page=N`` for a redirect back to a list page, or "" when ``value`` is no page number."""
    return "page=%d" % number if (number := parse_index(value)) is not None else ""


def bounded_index(index: int) -> int:
    """A URL's ``<int:...>`` (which takes any size): a 404 beyond what Redis takes."""
    if index > MAX_INDEX:
        raise Http404("No such entry: %d is beyond a 64-bit index." % index)
    return index
