"""The job bodies, plain functions shared by every Python worker measured (ours and RQ).

Each does one thing real jobs do, as a job would write it: (a) open a redis-py client
and push, (b) read and write a row through the ORM, (c) render a template with
``{% trans %}`` and filters, (d) get and set through the django-redis cache, (e) send a
mail (locmem backend). ``bench.KINDS`` names them; the "mix" runs them in turn.
"""

from __future__ import annotations

import datetime
import os

import redis
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string

from .models import Counter

OUT_KEY = "bench:real:out"


def redis_push() -> None:
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    client.rpush(OUT_KEY, 1)
    client.close()


def orm_row() -> None:
    row, _ = Counter.objects.get_or_create(name="hits")
    Counter.objects.filter(pk=row.pk).update(hits=F("hits") + 1)


def render_note() -> None:
    when = datetime.date(2026, 12, 3)
    html = render_to_string("realistic/note.html", {"name": "ada lovelace", "when": when, "count": 123456})
    if "Ja" not in html:  # the German catalog was read
        raise AssertionError(html)


def cache_get_set() -> None:
    hits = cache.get("bench:real:hits", 0)
    cache.set("bench:real:hits", hits + 1, timeout=300)


def send_note() -> None:
    send_mail("Your report", "It is ready.", "jobs@example.com", ["ada@example.com"])
