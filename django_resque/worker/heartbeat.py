"""The worker's heartbeat and its turn at pruning dead workers, every HEARTBEAT_INTERVAL.

Fork mode: the loop calls ``tick`` between jobs, and so does the watch of a running
job process. ``--no-fork``: a job runs in the loop's own thread, so a thread of its own
beats (``start_thread``); the loop's ticks then only prune.
"""

from __future__ import annotations

import logging
import threading
import time

from .. import conf, pruning, reconnect, workers

logger = logging.getLogger(__name__)


class Heartbeat:
    """When the worker last said it lives, and when it says so next."""

    def __init__(self, worker_id: str, queues: list[str], threaded: bool) -> None:
        self.worker_id, self.queues, self.threaded = worker_id, queues, threaded
        self.next_tick = 0.0
        self._stop = threading.Event()

    def restart(self) -> None:
        """Just registered: the next beat is one interval away."""
        self.next_tick = time.monotonic() + conf.get("HEARTBEAT_INTERVAL")

    def seconds_left(self) -> float:
        return self.next_tick - time.monotonic()

    def tick(self) -> None:
        """Heartbeat and prune, if an interval has passed."""
        if time.monotonic() < self.next_tick:
            return
        self.restart()
        if not self.threaded:
            workers.heartbeat(self.worker_id)
        self.prune(periodic=True)

    def safe_tick(self) -> None:
        """``tick`` while a child runs: Redis being away or busy must not stop the watch."""
        try:
            self.tick()
        except Exception as exc:
            logger.warning("Heartbeat of %s failed: %s", self.worker_id, exc)

    def prune(self, periodic: bool = False) -> None:
        """Prune dead workers; another worker's bad record (any error but Redis away) is logged."""
        try:
            pruning.prune_dead_workers(self.worker_id, self.queues, periodic=periodic)
        except Exception as exc:
            if reconnect.is_transient(exc):
                raise
            logger.exception("Worker %s could not prune dead workers: %r", self.worker_id, exc)

    def start_thread(self) -> None:
        threading.Thread(target=self._beat, name="resque-heartbeat", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _beat(self) -> None:
        interval = conf.get("HEARTBEAT_INTERVAL")
        while not self._stop.wait(interval):
            try:
                workers.heartbeat(self.worker_id)
            except Exception as exc:  # the thread must outlive any error, or pruning takes us
                logger.warning("Heartbeat of %s failed: %s", self.worker_id, exc)
