"""``manage.py resque_scheduler``: move due delayed jobs and fire recurring schedules."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque.decoding import MAX_INDEX
from django_resque.exceptions import InvalidScheduleError
from django_resque.management.arguments import positive
from django_resque.management.verbosity import configure_logging
from django_resque.scheduler.lock import MasterLock
from django_resque.scheduler.scheduler import Scheduler


class Command(BaseCommand):
    help = "Run the Resque scheduler: delayed jobs and RESQUE['SCHEDULE'] (one master among many)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between passes (default 1)")
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=None,
            help="master lock TTL in seconds (default RESQUE['SCHEDULER_LOCK_TIMEOUT'])",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        positive(options["interval"], "--interval")
        if options["lock_timeout"] is not None:
            positive(options["lock_timeout"], "--lock-timeout", maximum=MAX_INDEX)
        configure_logging(options["verbosity"])
        scheduler = Scheduler(interval=options["interval"], lock=MasterLock(timeout=options["lock_timeout"]))
        try:
            scheduler.run()
        except InvalidScheduleError as exc:
            raise CommandError(str(exc)) from exc
