"""The scheduler master lock: one scheduler acts, the others wait to take over.

resque-scheduler's key (``<ns>:<ns>:resque_scheduler_master_lock``) and value
(``<host>:<pid>``), so a Ruby and a Python scheduler also exclude each other. The
holder renews the TTL on every tick; if it dies, another takes over once it expires.
"""

from __future__ import annotations

import os
import socket

from .. import conf, keys
from ..connection import get_redis, translate_errors
from ..decoding import to_text
from . import scripts


def default_value() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class MasterLock:
    """Acquire-or-renew and release of the master lock for one scheduler."""

    def __init__(self, value: str | None = None, timeout: int | None = None) -> None:
        self.value = value or default_value()
        self.timeout = int(timeout or conf.get("SCHEDULER_LOCK_TIMEOUT"))

    def hold(self) -> bool:
        """Take the lock or extend ours; True while we are the master."""
        return bool(scripts.run(scripts.HOLD_LOCK, [keys.scheduler_master_lock()], [self.value, self.timeout]))

    def release(self) -> bool:
        """Give the lock up if it is still ours (at shutdown)."""
        return bool(scripts.run(scripts.RELEASE_LOCK, [keys.scheduler_master_lock()], [self.value]))


def holder() -> str | None:
    """Who holds the lock now (``host:pid``), if anyone."""
    with translate_errors():
        value = get_redis().get(keys.scheduler_master_lock())
    return to_text(value) if value is not None else None
