"""The two permission checks: read pages need the view permission, actions the change one.

Staff status, ``never_cache`` and CSRF come from ``admin_site.admin_view``; these add the
app's permissions (superusers have both). Actions are POST only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from ..models import CHANGE_PERMISSION, VIEW_PERMISSION

View = Callable[..., HttpResponse]


def can_view(request: HttpRequest) -> bool:
    return request.user.has_perm(VIEW_PERMISSION) or request.user.has_perm(CHANGE_PERMISSION)


def can_change(request: HttpRequest) -> bool:
    return request.user.has_perm(CHANGE_PERMISSION)


def view_required(view: View) -> View:
    """A read page: 403 without the view (or change) permission."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view(request):
            raise PermissionDenied("Needs the %s permission." % VIEW_PERMISSION)
        return view(request, *args, **kwargs)

    return checked


def change_required(view: View) -> View:
    """A confirmation page or action: 403 without the change permission."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_change(request):
            raise PermissionDenied("Needs the %s permission." % CHANGE_PERMISSION)
        return view(request, *args, **kwargs)

    return checked


def action(view: View) -> View:
    """A state change: POST only (405 otherwise) and the change permission."""
    return require_POST(change_required(view))
