"""``manage.py resque_info``: queues, sizes, workers, pools and failures at a glance."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque import delayed, handle, pools, stats
from django_resque.exceptions import ResqueConnectionError
from django_resque.management.pipes import quiet_when_the_reader_leaves


class Command(BaseCommand):
    help = "Show Resque queues and their sizes, workers, pools, processed and failed counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        parser.add_argument("--job", metavar="ID", help="show what is known of one job, by its id, instead")

    @quiet_when_the_reader_leaves
    def handle(self, *args: Any, **options: Any) -> None:
        if options["job"] is not None:
            self._job(options["job"], options["json"])
            return
        try:
            sizes, summary = stats.snapshot()
            running = pools.all_pools()
            # Jobs waiting for a time (enqueue_in / enqueue_at), as the admin overview counts them.
            summary = {**summary, "delayed": delayed.count_all()}
        except ResqueConnectionError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            described = [_pool_json(pool) for pool in running]
            self.stdout.write(json.dumps({**summary, "queue_sizes": sizes, "pools": described}, sort_keys=True))
            return
        for key in ("pending", "delayed", "processed", "failed", "failed_total", "queues", "workers", "working"):
            self.stdout.write(f"{key:>10}: {summary[key]}")
        self.stdout.write(f"{'pools':>10}: {len(running)}")
        if sizes:
            width = max(len(name) for name in sizes)
            self.stdout.write("")
            for name, size in sizes.items():
                self.stdout.write(f"  {name:<{width}}  {size}")
        for pool in running:
            lines = ", ".join("%s %d/%d" % (line, pool.running(line), wanted) for line, wanted in pool.lines.items())
            self.stdout.write(f"\n  pool {pool.id} (since {pool.started}): {lines}")

    def _job(self, job_id: str, as_json: bool) -> None:
        try:
            found = handle.fetch(job_id)
        except ResqueConnectionError as exc:
            raise CommandError(str(exc)) from exc
        fields = {key: value for key, value in handle.as_dict(found).items() if value not in ("", None, 0, False)}
        if as_json:
            self.stdout.write(json.dumps(fields, sort_keys=True))
            return
        for key, value in fields.items():
            self.stdout.write(f"{key:>12}: {value}")


def _pool_json(pool: pools.PoolInfo) -> dict[str, Any]:
    lines = {line: {"wanted": wanted, "running": pool.running(line)} for line, wanted in pool.lines.items()}
    return {"id": pool.id, "host": pool.host, "pid": pool.pid, "started": pool.started, "lines": lines}
