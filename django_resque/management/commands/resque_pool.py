"""``manage.py resque_pool``: resque-pool's manager, forking the workers of each config line."""

from __future__ import annotations

import functools
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque.worker import pool_config
from django_resque.worker.pool import Pool, resque_pool_stops

from .resque_work import add_worker_arguments, configure_logging, options_for_workers


class Command(BaseCommand):
    help = "Run a pool of Resque workers shaped by a config (queue list -> count), as resque-pool."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--config", "-c", help="JSON or YAML file (default: env RESQUE_POOL_CONFIG, then RESQUE['POOL'])"
        )
        parser.add_argument(
            "--environment", "-E", help="the config's section to use (default: env RACK_ENV, RAILS_ENV, RESQUE_ENV)"
        )
        term = parser.add_mutually_exclusive_group()
        for flag, behaviour, text in (
            ("--term-immediate", "immediate", "on TERM, TERM every worker and exit (default)"),
            ("--term-graceful", "graceful", "on TERM, QUIT every worker and exit"),
            ("--term-graceful-wait", "graceful-wait", "on TERM, QUIT every worker and wait for them"),
        ):
            term.add_argument(flag, dest="term", action="store_const", const=behaviour, help=text)
        add_worker_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        configure_logging(options["verbosity"])
        load = functools.partial(pool_config.load, options["config"], options["environment"])
        worker_options = options_for_workers(options, queues=[])
        try:
            pool = Pool(worker_options, load, resque_pool_stops(options["term"] or "immediate"))
        except pool_config.PoolConfigError as exc:  # refused before any worker starts
            raise CommandError(str(exc)) from exc
        pool.run()
