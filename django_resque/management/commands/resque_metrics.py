"""``manage.py resque_metrics --port 9778``: a Prometheus exporter for the whole Resque.

Metrics live in Redis, so one exporter per Redis serves every worker's figures; it
holds no state and can run anywhere, beside the workers or not.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_resque import metrics
from django_resque.exceptions import ResqueConfigurationError


class Command(BaseCommand):
    help = "Serve Resque metrics (queues, counters, workers, job durations) for Prometheus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=9778, help="port to listen on (default 9778)")
        parser.add_argument("--addr", default="127.0.0.1", help="address to bind (default 127.0.0.1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, got {options['port']}.")
        try:
            registry = metrics.build_registry()
        except ResqueConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        # Here, not at the top: prometheus-client is the optional [metrics] extra.
        from prometheus_client import start_http_server

        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(signum, lambda *_: stop.set())
        server, thread = start_http_server(options["port"], options["addr"], registry=registry)
        self.stdout.write(f"Serving Resque metrics on http://{options['addr']}:{options['port']}/metrics", ending="\n")
        self.stdout.flush()
        stop.wait()
        server.shutdown()
        thread.join(timeout=5)
