"""Log lines of the long-running commands (worker, scheduler) on stderr, as ``-v`` asks.

0 warnings and errors, 1 (the default) what happens (jobs, schedules, master), 2+ debug.
A project's own LOGGING (a handler on ``django_resque`` or the root logger) wins.
"""

from __future__ import annotations

import logging

LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# The Tasks framework's loggers: each task's start and end (a failure with its traceback).
TASKS_LOGGERS = ("django_tasks", "django.tasks")


class WithoutTraceback(logging.Formatter):
    """The line only: a failed task's traceback is in its failure record and its result.

    Only this handler's output drops it; other handlers (mail, error trackers) still get it.
    """

    def formatException(self, ei: object) -> str:
        return ""


def configure_logging(verbosity: int) -> None:
    """Set django_resque's level from ``verbosity``; add a stderr handler unless one exists.

    The Tasks framework's lines get the same format (they would otherwise reach
    Python's bare last-resort output, traceback and all) unless the project routes them.
    """
    logger = logging.getLogger("django_resque")
    logger.setLevel(LEVELS.get(verbosity, logging.INFO))
    if logger.handlers or logging.getLogger().handlers:
        return
    logger.addHandler(_stderr_handler(logging.Formatter(FORMAT)))
    for name in TASKS_LOGGERS:
        tasks_logger = logging.getLogger(name)
        if not tasks_logger.handlers and not _routed_by_parents(tasks_logger):
            tasks_logger.setLevel(LEVELS.get(verbosity, logging.INFO))
            tasks_logger.addHandler(_stderr_handler(WithoutTraceback(FORMAT)))


def _stderr_handler(formatter: logging.Formatter) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    return handler


def _routed_by_parents(logger: logging.Logger) -> bool:
    """Whether a parent logger (not the root) has handlers, as Django's LOGGING gives "django"."""
    root, node = logging.getLogger(), logger
    while node.propagate and node.parent is not None and node.parent is not root:
        node = node.parent
        if node.handlers:
            return True
    return False
