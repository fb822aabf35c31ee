"""Our registrations of the job bodies (autodiscovered: this app's ``jobs`` module)."""

from __future__ import annotations

from django_resque import job

from . import work

QUEUE = "real"

redis_push = job(queue=QUEUE, name="real.redis")(work.redis_push)
orm_row = job(queue=QUEUE, name="real.orm")(work.orm_row)
render_note = job(queue=QUEUE, name="real.template")(work.render_note)
cache_get_set = job(queue=QUEUE, name="real.cache")(work.cache_get_set)
send_note = job(queue=QUEUE, name="real.mail")(work.send_note)
