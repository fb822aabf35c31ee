"""``manage.py resque_work``: run Resque workers (see docs/workers.md)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque.management.arguments import MAX_WORKERS, positive, queue_name
from django_resque.management.verbosity import configure_logging
from django_resque.worker.supervisor import supervise
from django_resque.worker.worker import Worker, WorkerOptions


class Command(BaseCommand):
    help = "Work jobs from Resque queues: fork per job, Resque's signals, no job lost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", "-q", help="comma-separated, in priority order; * = all (env QUEUES/QUEUE)")
        parser.add_argument("--burst", action="store_true", help="exit once every queue is empty")
        parser.add_argument(
            "--workers", type=int, default=1, help=f"worker processes under one pool manager (at most {MAX_WORKERS})"
        )
        add_worker_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        configure_logging(options["verbosity"])
        worker_options = options_for_workers(options, _queues(options["queues"]), options["burst"])
        workers = int(positive(options["workers"], "--workers", maximum=MAX_WORKERS))
        if workers > 1:
            supervise(worker_options, workers)
        else:
            Worker(worker_options).work()


def add_worker_arguments(parser: CommandParser) -> None:
    """The options of every worker, shared with ``resque_pool``."""
    parser.add_argument("--interval", type=float, default=5.0, help="longest wait before re-checking (s)")
    parser.add_argument("--no-fork", action="store_true", help="run jobs in the worker process itself")
    parser.add_argument("--no-prefork", action="store_true", help="fork each job process only once its job is reserved")
    parser.add_argument(
        "--no-fork-server",
        action="store_true",
        help="fork pre-forked job processes in the worker itself, not in its fork server",
    )
    parser.add_argument("--jobs-per-fork", type=int, default=1, help="jobs one child may run before exiting")
    parser.add_argument("--term-timeout", type=float, default=4.0, help="grace before SIGKILL on TERM/INT (s)")
    parser.add_argument("--timeout", type=float, default=None, help="default job timeout (s)")


def options_for_workers(options: dict[str, Any], queues: list[str], burst: bool = False) -> WorkerOptions:
    """WorkerOptions from the parsed ``add_worker_arguments``; refuses bad values."""
    return WorkerOptions(
        queues=queues,
        interval=positive(options["interval"], "--interval"),
        burst=burst,
        fork=not options["no_fork"],
        prefork=not options["no_prefork"],
        fork_server=not options["no_fork_server"],
        jobs_per_fork=int(positive(options["jobs_per_fork"], "--jobs-per-fork")),
        term_timeout=positive(options["term_timeout"], "--term-timeout", zero_ok=True),
        timeout=positive(options["timeout"], "--timeout") if options["timeout"] is not None else None,
    )


def _queues(given: str | None) -> list[str]:
    text = given or os.environ.get("QUEUES") or os.environ.get("QUEUE") or ""
    queues = [name.strip() for name in text.split(",") if name.strip()]
    if not queues:
        raise CommandError("Name the queues to work: --queues critical,high,low (or QUEUES=...; * for all).")
    for name in queues:
        queue_name(name, "--queues", globs=True)
    return queues
