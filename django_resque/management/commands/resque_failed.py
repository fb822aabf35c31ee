"""``manage.py resque_failed``: list, show, retry, remove and clear failed jobs."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque.exceptions import ResqueError
from django_resque.failure import api
from django_resque.handle import is_valid_id
from django_resque.management.arguments import index, queue_name
from django_resque.management.pipes import quiet_when_the_reader_leaves


class Command(BaseCommand):
    help = "Inspect and act on failed jobs (Resque's failed list)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="failed jobs, oldest first")
        _add_filters(listing)
        listing.add_argument("--offset", type=int, default=0)
        listing.add_argument("--limit", type=int, default=20)
        listing.add_argument("--json", action="store_true", help="one JSON record per line")
        show = actions.add_parser("show", help="one failed job with its backtrace")
        show.add_argument("index", type=int)
        for name in ("retry", "remove"):
            action = actions.add_parser(name, help=f"{name} one failed job by index, or every match with --all")
            action.add_argument("index", type=int, nargs="?")
            action.add_argument("--digest", help="the digest shown by 'list': refuse if the entry changed")
            action.add_argument("--all", action="store_true", help="every failed job matching the filters")
            _add_filters(action)
        clear = actions.add_parser("clear", help="forget every failed job")
        clear.add_argument("--queue", help="only this queue's list (per-queue backend)")

    @quiet_when_the_reader_leaves
    def handle(self, *args: Any, **options: Any) -> None:
        for flag in ("offset", "limit", "index"):
            if options.get(flag) is not None:
                index(options[flag], "--" + flag if flag != "index" else "index")
        queue_name(options.get("queue"), "--queue")
        try:
            getattr(self, "_" + options["action"])(options)
        except ResqueError as exc:
            raise CommandError(str(exc)) from exc

    def _list(self, options: dict[str, Any]) -> None:
        entries = api.page(options["offset"], options["limit"], **_filters(options))
        for entry in entries:
            if options["json"]:
                self.stdout.write(entry.text)
                continue
            self.stdout.write(f"[{entry.index}] {entry.digest[:12]}  {_summary(entry)}")
        if not options["json"]:
            self.stdout.write(f"{len(entries)} shown, {api.count(**_filters(options))} matching")

    def _show(self, options: dict[str, Any]) -> None:
        entry = api.get(options["index"])
        self.stdout.write(
            json.dumps(entry.record.as_dict(), indent=2, ensure_ascii=False) if entry.record else entry.text
        )

    def _retry(self, options: dict[str, Any]) -> None:
        self._act(options, single=api.retry, bulk=api.retry_all, doing="Retrying", done="Retried")

    def _remove(self, options: dict[str, Any]) -> None:
        self._act(options, single=api.remove, bulk=api.remove_all, doing="Removing", done="Removed")

    def _clear(self, options: dict[str, Any]) -> None:
        api.clear(options["queue"], on_progress=self._reporter())
        self.stdout.write("Cleared the failed list.")

    def _reporter(self) -> _Progress:
        return _Progress(self.stdout)

    def _act(self, options: dict[str, Any], *, single: Any, bulk: Any, doing: str, done: str) -> None:
        if options["all"] == (options["index"] is not None):
            raise CommandError("Give either an index or --all.")
        if options["all"]:
            filters = _filters(options)
            described = ", ".join(f"{name} {value}" for name, value in filters.items() if value) or "every failure"
            self.stdout.write(f"{doing} failed jobs matching: {described} ({api.count()} recorded), in batches ...")
            started = time.monotonic()
            report = self._reporter()
            changed = bulk(**filters, on_progress=report)
            skipped = f", {report.last.skipped} skipped (no job payload)" if report.last.skipped else ""
            self.stdout.write(f"{done} {changed}{skipped} in {time.monotonic() - started:.2f}s.")
            return
        entry = api.get(options["index"])
        if options["digest"] and not entry.digest.startswith(options["digest"]):
            raise CommandError(f"Failed job {entry.index} changed since it was listed (now {entry.digest[:12]}).")
        single(entry.index, entry.raw)
        name = entry.record.job_name if entry.record else "malformed record"
        self.stdout.write(f"{done} failed job {entry.index} ({name}).")


class _Progress:
    """Prints a bulk change's progress every few seconds."""

    EVERY = 5.0

    def __init__(self, out: Any) -> None:
        self.out = out
        self.last = api.Progress()
        self.printed = time.monotonic()

    def __call__(self, progress: api.Progress) -> None:
        self.last = progress
        if time.monotonic() - self.printed >= self.EVERY:
            self.printed = time.monotonic()
            self.out.write(f"  {progress.seen} of about {progress.total} checked, {progress.done} changed")


def _summary(entry: api.FailedJob) -> str:
    record = entry.record
    if record is None:
        return entry.text
    retried = f"  (retried {record.retried_at})" if record.retried_at else ""
    job_id = record.payload.get("id") if isinstance(record.payload, dict) else None
    named = f"  job {job_id}" if is_valid_id(job_id) else ""
    return f"{record.failed_at}  {record.queue}  {record.job_name}  {record.exception}: {record.error}{retried}{named}"


def _add_filters(parser: CommandParser) -> None:
    parser.add_argument("--queue")
    parser.add_argument("--job", help="job name (payload class)")
    parser.add_argument("--exception", help="exception class name")


def _filters(options: dict[str, Any]) -> dict[str, Any]:
    return {key: options.get(key) for key in ("queue", "job", "exception")}
