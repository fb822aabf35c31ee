"""``manage.py resque_enqueue NAME --args '[..]' --kwargs '{..}'``: enqueue a registered job."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque import registry
from django_resque.exceptions import ResqueError


class Command(BaseCommand):
    help = "Enqueue a registered job with JSON arguments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the job's registered name (e.g. myapp.jobs.send_welcome)")
        parser.add_argument("--args", dest="job_args", default="[]", help="positional arguments as a JSON array")
        parser.add_argument("--kwargs", dest="job_kwargs", default="{}", help="keyword arguments as a JSON object")
        parser.add_argument("--queue", help="queue to use instead of the job's own")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            job = registry.lookup(options["name"])
        except ResqueError as exc:
            known = ", ".join(sorted(registry.all_jobs())) or "none"
            raise CommandError(f"{exc} Registered jobs: {known}.") from exc
        positional = _parse(options["job_args"], list, "--args", "a JSON array")
        keywords = _parse(options["job_kwargs"], dict, "--kwargs", "a JSON object")
        queue = options["queue"] or job.queue
        try:
            job.enqueue_to(queue, *positional, **keywords)
        except ResqueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Enqueued {job.name} on {queue!r}.")


def _parse(text: str, kind: type, option: str, expected: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"{option} must be {expected}: {exc}") from exc
    if not isinstance(value, kind):
        raise CommandError(f"{option} must be {expected}, got {text!r}.")
    return value
