"""``--workers N``: one process that loaded Django once forks N workers and keeps them up.

Each worker is a full forking worker with its own id (its own pid). The supervisor
forwards every Resque signal it gets to all of them; after QUIT, TERM or INT it stops
restarting and exits once they all have. A worker that dies is restarted, after a
pause growing with repeated quick deaths, so a broken setup cannot spin the CPU.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import time

from django.db import connections

from .. import connection
from . import reconnect, title
from .process_signals import SignalFlags
from .worker import Worker, WorkerOptions

logger = logging.getLogger(__name__)

STOPPING_SIGNALS = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)
QUICK_DEATH = 5.0  # a worker dying sooner than this after start delays its restart


def supervise(options: WorkerOptions, count: int) -> None:
    """Run ``count`` workers until told to stop."""
    Supervisor(options, count).run()


class Supervisor:
    def __init__(self, options: WorkerOptions, count: int) -> None:
        self.options, self.count = options, count
        self.flags = SignalFlags()
        self.children: dict[int, float] = {}  # pid -> start time
        self.stopping = False
        self.backoff = reconnect.Backoff(first=0.5, cap=30.0)
        self.restart_at = 0.0

    def run(self) -> None:
        self.flags.install()
        title.set_title("Supervising %d workers for %s" % (self.count, ",".join(self.options.queues)))
        connections.close_all()
        try:
            while not self.stopping or self.children:
                self.fill()
                select.select([self.flags.wake_fd], [], [], 1.0)
                self.flags.drain()
                self.forward_signals()
                self.reap()
        finally:
            self.flags.close()
        logger.info("Supervisor %d stopped", os.getpid())

    def fill(self) -> None:
        if self.stopping or time.monotonic() < self.restart_at:
            return
        while len(self.children) < self.count:
            self.children[self.start_worker()] = time.monotonic()

    def start_worker(self) -> int:
        pid = os.fork()
        if pid:
            logger.info("Supervisor started worker pid %d", pid)
            return pid
        code = 0
        try:  # the worker process: own process group, so a terminal's Ctrl-C reaches only us
            os.setpgid(0, 0)
            self.flags.close()
            connection.reset()
            Worker(self.options).work()
        except BaseException:
            logger.exception("Worker process %d crashed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    def forward_signals(self) -> None:
        received, self.flags.received[:] = list(self.flags.received), []
        for signum in received:
            if signum in STOPPING_SIGNALS:
                self.stopping = True
            for pid in self.children:
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass

    def reap(self) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                return
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            logger.warning("Worker pid %d exited (status %d); restarting it", pid, status)
            if time.monotonic() - started < QUICK_DEATH:
                self.restart_at = time.monotonic() + self.backoff.next_delay()
            else:
                self.backoff.reset()
