"""``manage.py resque_info``: queues, sizes, workers and failures at a glance."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque import stats
from django_resque.exceptions import ResqueConnectionError


class Command(BaseCommand):
    help = "Show Resque queues and their sizes, workers, processed and failed counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sizes, summary = stats.snapshot()
        except ResqueConnectionError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({**summary, "queue_sizes": sizes}, sort_keys=True))
            return
        for key in ("pending", "processed", "failed", "queues", "workers", "working"):
            self.stdout.write(f"{key:>10}: {summary[key]}")
        if sizes:
            width = max(len(name) for name in sizes)
            self.stdout.write("")
            for name, size in sizes.items():
                self.stdout.write(f"  {name:<{width}}  {size}")
