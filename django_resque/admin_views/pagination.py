"""The one pagination helper for every job list: Django's Paginator over a Redis range.

Only the requested page is read (LRANGE/ZRANGE with offset and count), never the
whole list, so a queue of a million jobs opens as fast as one of ten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest

PER_PAGE = 25

Fetch = Callable[[int, int], Sequence[Any]]


class RedisRange:
    """A sequence Paginator can slice: ``count()`` and ``[start:stop]`` ask Redis lazily."""

    def __init__(self, total: int, fetch: Fetch) -> None:
        self.total = total
        self.fetch = fetch

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> Sequence[Any]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("RedisRange only supports [start:stop] slices.")
        start, stop = index.start or 0, min(index.stop, self.total)
        return self.fetch(start, stop - start) if stop > start else []


def paginate(request: HttpRequest, total: int, fetch: Fetch, per_page: int = PER_PAGE) -> Page:
    """The page named by ``?page=`` (default 1); a bad or out-of-range page is a 404.

    ``fetch(offset, count)`` returns the items at ``offset``; ``total`` is the list length.
    """
    paginator = Paginator(RedisRange(total, fetch), per_page, allow_empty_first_page=True)
    try:
        return paginator.page(request.GET.get("page", 1))
    except InvalidPage as exc:
        raise Http404(f"No such page: {exc}") from exc


def page_links(page: Page) -> list[int | str]:
    """Page numbers to show, with ``…`` gaps (Django's elided range)."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
