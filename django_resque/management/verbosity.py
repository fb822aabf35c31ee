"""Log lines of the long-running commands (worker, scheduler) on stderr, as ``-v`` asks.

0 warnings and errors, 1 (the default) what happens (jobs, schedules, master), 2+ debug.
A project's own LOGGING (a handler on ``django_resque`` or the root logger) wins.
"""

from __future__ import annotations

import logging

LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def configure_logging(verbosity: int) -> None:
    """Set django_resque's level from ``verbosity``; add a stderr handler unless one exists."""
    logger = logging.getLogger("django_resque")
    logger.setLevel(LEVELS.get(verbosity, logging.INFO))
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
