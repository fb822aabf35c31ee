"""``manage.py resque_enqueue NAME --args '[..]' --kwargs '{..}'``: enqueue a registered job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque import registry
from django_resque.exceptions import ResqueError
from django_resque.management.arguments import json_value, queue_name


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
        positional = json_value(options["job_args"], list, "--args", "a JSON array")
        keywords = json_value(options["job_kwargs"], dict, "--kwargs", "a JSON object")
        queue = queue_name(options["queue"], "--queue") or job.queue
        try:
            handle = job.enqueue_to(queue, *positional, **keywords)
        except ResqueError as exc:
            raise CommandError(str(exc)) from exc
        if not handle.enqueued:
            raise CommandError(f"Not enqueued: {handle.reason}.")
        self.stdout.write(f"Enqueued {job.name} on {queue!r} as job {handle.id}.")
