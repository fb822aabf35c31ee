"""The scheduler loop: while master, move due delayed jobs and fire due schedules.

Several schedulers may run; the master lock makes exactly one act. Every action is
an atomic script guarded by compare-and-set, so even two masters at once (a paused
master whose lock expired) cannot double a job. TERM, INT and QUIT only set a flag;
the loop finishes its tick, releases the lock and returns.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

from ..reconnect import Backoff, is_transient
from . import dynamic, mover, runs, schedule
from .lock import MasterLock
from .schedule import Entry

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
_NAP = 0.1  # seconds between checks of the stop flag while sleeping
ERROR_BACKOFF_CAP = 60.0  # seconds: longest extra wait after repeated errors in ticks
MOVES_PER_RENEWAL = 5000  # a big backlog is moved in chunks, renewing the lock (and checking for stop) between


class Scheduler:
    """One scheduler process. ``clock`` is injectable so tests control time."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        lock: MasterLock | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval = interval
        self.lock = lock or MasterLock()
        self.clock = clock
        self.is_master = False
        self.stopping = False
        self.static: dict[str, Entry] = {}
        self.dynamic: dict[str, Entry] = {}
        self.error_backoff = Backoff(first=interval, cap=max(interval, ERROR_BACKOFF_CAP))
        self.pause = 0.0  # extra sleep after an error in a tick

    @property
    def actor(self) -> str:
        return f"{self.lock.value}:resque_scheduler"

    def load(self) -> None:
        """Check RESQUE['SCHEDULE'] now: a bad entry stops the start, naming it."""
        self.static = schedule.from_settings()

    def run(self) -> None:
        """Load, then tick every ``interval`` seconds until asked to stop."""
        self.load()
        self.install_signal_handlers()
        logger.info(
            "Scheduler %s started (every %ss, %d settings schedule(s))",
            self.lock.value,
            self.interval,
            len(self.static),
        )
        try:
            while not self.stopping:
                self.safe_tick()
                self.sleep()
        finally:
            self.shutdown()

    def safe_tick(self) -> None:
        """A tick that survives anything: Redis away or busy (drop mastership, retry next
        tick) or an error in our own bookkeeping or data (logged, retried with backoff)."""
        try:
            self.tick()
        except Exception as exc:
            if is_transient(exc):
                if self.is_master:
                    logger.warning("Lost Redis while master, standing down: %s", exc)
                else:
                    logger.warning("Redis unavailable: %s", exc)
                self.is_master = False
                return
            self.pause = self.error_backoff.next_delay()
            logger.exception("Scheduler %s: error in a tick (%r); retrying in %.1fs", self.lock.value, exc, self.pause)
        else:
            self.error_backoff.reset()
            self.pause = 0.0

    def tick(self) -> None:
        """One pass: keep the lock, then (master only) move delayed jobs and fire schedules."""
        if not self.hold_lock():
            return
        now = self.clock()
        if not self.move_delayed(now):
            return
        self.reload_changed()
        self.fire_due(now)

    def move_delayed(self, now: float) -> bool:
        """Move due delayed jobs in chunks, renewing the lock between them; False if it was lost."""
        while not self.stopping:
            if mover.enqueue_due(now, actor=self.actor, limit=MOVES_PER_RENEWAL) < MOVES_PER_RENEWAL:
                return True
            if not self.hold_lock():
                return False
        return True

    def hold_lock(self) -> bool:
        held = self.lock.hold()
        if held and not self.is_master:
            logger.info("Scheduler %s is now the master", self.lock.value)
            dynamic.take_changed()
            self.dynamic = dynamic.dynamic_entries()
        elif not held and self.is_master:
            logger.warning("Scheduler %s lost the master lock", self.lock.value)
        self.is_master = held
        return held

    def reload_changed(self) -> None:
        """Reload dynamic schedules when someone (Python or Ruby) changed them."""
        changed = dynamic.take_changed()
        if changed:
            logger.info("Dynamic schedule(s) changed: %s; reloading", ", ".join(sorted(changed)))
            self.dynamic = dynamic.dynamic_entries()

    def entries(self) -> list[Entry]:
        return [*self.static.values(), *self.dynamic.values()]

    def fire_due(self, now: float) -> int:
        """Fire every due schedule; returns how many jobs were pushed."""
        last = runs.last_runs(drop_unreadable=True)
        pushed = 0
        for entry in self.entries():
            if self.stopping:
                break
            try:
                pushed += runs.handle(entry, last.get(entry.name), now)
            except Exception as exc:  # one bad schedule must not stop the others
                if is_transient(exc):
                    raise
                logger.error("Schedule %r could not run: %r", entry.name, exc)
        return pushed

    def install_signal_handlers(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.request_stop)

    def request_stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        """Signal handler: only sets the flag; the loop stops after its current tick."""
        self.stopping = True

    def sleep(self) -> None:
        deadline = time.monotonic() + max(self.interval, self.pause)
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(_NAP, max(0.0, deadline - time.monotonic())))

    def shutdown(self) -> None:
        """Release the lock (if ours) so another scheduler takes over at once."""
        try:
            if self.lock.release():
                logger.info("Scheduler %s released the master lock", self.lock.value)
        except Exception as exc:
            logger.warning("Could not release the master lock (it expires by itself): %s", exc)
        logger.info("Scheduler %s stopped", self.lock.value)
