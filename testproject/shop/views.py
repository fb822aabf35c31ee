"""Two views that enqueue jobs: signup (mail after commit) and a report request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .jobs import build_report, send_welcome_mail


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/home.html")


@require_POST
def signup(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    if not username:
        return render(request, "shop/home.html", {"error": "A username is needed."}, status=400)
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        send_welcome_mail.delay(user.pk)  # queued only once the user row is committed
    return redirect("home")


@require_POST
def request_report(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip() or "sales"
    build_report.delay(name, rows=25)
    return redirect("home")
