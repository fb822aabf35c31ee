"""Process titles in Ruby Resque's form, so ``ps`` (and Ruby's pruning) read ours alike.

``resque-<version>: Starting``, ``resque-<version>: Waiting for <queues>``, ``resque-<version>: Processing <q> since
<epoch> [<class>]``, ``resque-<version>: Forked <pid> at <epoch>``, ``... Paused``; the pool
manager's is resque-pool's, ``resque-pool-manager: managing [<pids>]``.
"""

from __future__ import annotations

import re
import time
from functools import cache
from importlib import metadata

import setproctitle


@cache
def version() -> str:
    try:
        return metadata.version("django-resque")
    except metadata.PackageNotFoundError:
        return "0"


# Control characters (a NUL makes setproctitle raise) from names read from Redis.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def set_title(status: str) -> None:
    setproctitle.setproctitle("resque-%s: %s" % (version(), _CONTROL.sub("?", status)))


def starting() -> None:
    """Set before the worker registers, as Ruby's ``resque: Starting``: from the moment its id is
    in Redis, a pruner on this host must see a Resque process (a pool's or a shell's title would not do)."""
    set_title("Starting")


def waiting(queues: list[str]) -> None:
    set_title("Waiting for %s" % ",".join(queues))


def processing(queue: str, name: str) -> None:
    set_title("Processing %s since %d [%s]" % (queue, int(time.time()), name))


def forked(pid: int) -> None:
    set_title("Forked %d at %d" % (pid, int(time.time())))


def paused() -> None:
    set_title("Paused")


def pool_manager(status: str) -> None:
    """resque-pool's manager title: ``resque-pool-manager: managing [12, 13]``."""
    setproctitle.setproctitle("resque-pool-manager: %s" % status)
