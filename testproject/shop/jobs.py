"""The demo's jobs: a welcome mail, a report file, and a payment that fails."""

from __future__ import annotations

import csv
import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from django_resque import job


@job(queue="mail", on_commit=True)
def send_welcome_mail(user_id: int) -> None:
    """Mail a new user; enqueued after the signup transaction commits."""
    user = get_user_model().objects.get(pk=user_id)
    send_mail(
        subject="Welcome to the shop",
        message=f"Hello {user.username}, thanks for signing up.",
        from_email="shop@example.com",
        recipient_list=[user.email or f"{user.username}@example.com"],
    )


@job(queue="reports")
def build_report(name: str, rows: int = 10) -> str:
    """Write a small CSV report and return its path."""
    settings.REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.REPORTS_DIR / f"{name}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "generated_at"])
        for row in range(rows):
            writer.writerow([row, dt.datetime.now(dt.UTC).isoformat()])
    return str(path)


class PaymentDeclined(Exception):
    pass


@job
class ChargeCard:
    """A Resque-style class job that always fails, to show the failed list and retry."""

    queue = "payments"

    @classmethod
    def perform(cls, order_id: int, amount_cents: int) -> None:
        raise PaymentDeclined(f"card declined for order {order_id} ({amount_cents} cents)")
