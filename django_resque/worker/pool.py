"""The pool manager: one process that loaded Django once forks the workers of each line.

A line is a queue list and a count (``{"mail": 2, "critical,high": 4}``, see
``pool_config``); the manager forks that many workers for it, each a full forking
worker in a process group of its own, and keeps that shape. Signals, as resque-pool:

HUP      reload the config and reshape: workers of removed lines, and the excess of
         shrunk ones, get QUIT (each finishes its job); new ones start; others stay
QUIT     QUIT every worker, wait for them, exit
INT      QUIT every worker, exit without waiting          (``--workers N``: forward, wait)
TERM     TERM every worker, exit without waiting          (``--term-*`` options; ``--workers``: forward, wait)
WINCH    QUIT every worker, keep managing an empty pool until HUP (ignored while the
         manager is a terminal's foreground process: a window resize sends it)
TTIN     one more worker on every line; TTOU one fewer (QUIT)
USR1, USR2, CONT  passed on to every worker

A worker that dies is replaced; one dying within QUICK_DEATH of its start delays the
next start on its line (0.5 s doubling to 30 s), so a broken setup cannot spin. A
worker gets QUIT when the manager dies, however it died (Linux: PR_SET_PDEATHSIG).
With ``--burst`` a worker exiting cleanly is done, not replaced.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import gc
import logging
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import connections

from .. import conf, connection, pools, reconnect
from ..signals import after_pool_fork, before_pool_fork, send
from ..workers import STARTED_FORMAT
from . import title, warm_up
from .fork import describe_exit
from .process_signals import SignalFlags
from .worker import Worker, WorkerOptions

logger = logging.getLogger(__name__)

QUICK_DEATH = 5.0  # a worker dying sooner than this after start delays the next start on its line
MANAGER_SIGNALS = (signal.SIGHUP, signal.SIGWINCH, signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD)
PASSED_ON = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT)
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Stop:
    """What a stopping signal does: the signal every worker gets, and whether to wait for them."""

    to_workers: int
    wait: bool


TERM_BEHAVIOURS = {  # resque-pool's --term-immediate (default), --term-graceful, --term-graceful-wait
    "immediate": Stop(signal.SIGTERM, wait=False),
    "graceful": Stop(signal.SIGQUIT, wait=False),
    "graceful-wait": Stop(signal.SIGQUIT, wait=True),
}


def resque_pool_stops(term: str = "immediate") -> dict[int, Stop]:
    """resque-pool's QUIT, INT and TERM."""
    return {
        signal.SIGQUIT: Stop(signal.SIGQUIT, wait=True),
        signal.SIGINT: Stop(signal.SIGQUIT, wait=False),
        signal.SIGTERM: TERM_BEHAVIOURS[term],
    }


def forwarding_stops() -> dict[int, Stop]:
    """``--workers N``: QUIT, INT and TERM go to every worker as they are; the manager waits."""
    return {signum: Stop(signum, wait=True) for signum in (signal.SIGQUIT, signal.SIGINT, signal.SIGTERM)}


@dataclass
class PooledWorker:
    line: str
    started: float
    quitting: bool = False  # told to QUIT by the manager: its exit is not a death


class Pool:
    """Keeps ``lines`` (queue list -> count) running; ``load`` gives the lines again on HUP."""

    def __init__(self, options: WorkerOptions, load: Callable[[], Mapping[str, int]], stops: dict[int, Stop]) -> None:
        self.options, self.load, self.stops = options, load, stops
        self.lines: dict[str, int] = dict(load())
        self.flags = SignalFlags()
        self.workers: dict[int, PooledWorker] = {}
        self.stopping = False
        self.pid = os.getpid()
        self.started = dt.datetime.now(dt.UTC).astimezone().strftime(STARTED_FORMAT)
        self.backoffs: dict[str, reconnect.Backoff] = {}
        self.start_at: dict[str, float] = {}  # line -> earliest next start after quick deaths
        self.record_due = 0.0  # when the Redis record is next written (0: now)
        self.record_backoff = reconnect.Backoff(first=1.0, cap=30.0)
        self.shown = ""

    def run(self) -> None:
        self.flags.install(also=MANAGER_SIGNALS)
        title.pool_manager("(starting)")
        self.prepare_for_forks()
        try:
            while self.step():
                pass
        finally:
            title.pool_manager("(shutting down)")
            self.flags.close()
            self.remove_record()
        logger.info("Pool manager %d stopped", self.pid)

    def step(self) -> bool:
        """Keep the shape, sleep until a signal or a second passes, act; False when done."""
        self.maintain()
        self.show()
        self.save_record()
        select.select([self.flags.wake_fd], [], [], 1.0)
        self.flags.drain()
        self.reap()
        if not self.handle_signals():
            return False
        return not (self.stopping and not self.workers)

    # Shape
    def maintain(self) -> None:
        """Start the missing workers of each line and QUIT the excess."""
        if self.stopping:
            return
        for line in [*self.lines, *{w.line for w in self.workers.values() if w.line not in self.lines}]:
            live = [pid for pid, worker in self.workers.items() if worker.line == line and not worker.quitting]
            wanted = self.lines.get(line, 0)
            for pid in live[wanted:][::-1]:  # the newest go first
                self.quit(pid)
            if len(live) < wanted and time.monotonic() >= self.start_at.get(line, 0.0):
                for _ in range(wanted - len(live)):
                    self.workers[self.start_worker(line)] = PooledWorker(line, time.monotonic())
                self.record_due = 0.0

    def quit(self, pid: int) -> None:
        self.workers[pid].quitting = True
        self.send(pid, signal.SIGQUIT)
        self.record_due = 0.0

    def start_worker(self, line: str) -> int:
        queues = line.split(",")
        send(before_pool_fork, None, queues=queues)
        connections.close_all()  # a receiver may have connected: no DB connection crosses a fork
        pid = os.fork()
        if pid:
            logger.info("Pool manager started worker pid %d for %s", pid, line)
            return pid
        code = 0
        try:  # the worker process: own process group, so a terminal's Ctrl-C reaches only the manager
            os.setpgid(0, 0)
            self.flags.close()
            for resize in (signal.SIGTTIN, signal.SIGTTOU):  # the manager's: stop no worker if sent to all
                signal.signal(resize, signal.SIG_IGN)
            quit_with_manager(self.pid)
            connection.reset()
            worker = Worker(dataclasses.replace(self.options, queues=queues))
            send(after_pool_fork, None, queues=queues, worker_id=worker.id)
            worker.work()
        except BaseException:
            logger.exception("Worker process %d crashed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    def reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            worker = self.workers.pop(pid, None)
            if worker is not None:
                self.record_due = 0.0
                self.on_exit(pid, worker, status)

    def on_exit(self, pid: int, worker: PooledWorker, status: int) -> None:
        if self.stopping or worker.quitting:
            logger.info("Worker pid %d (%s) stopped", pid, worker.line)
            return
        clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if self.options.burst and clean:  # its burst is over
            self.lines[worker.line] = max(0, self.lines.get(worker.line, 0) - 1)
            self.stopping = not any(self.lines.values())
            return
        logger.warning("Worker pid %d (%s) %s; replacing it", pid, worker.line, describe_exit(status))
        backoff = self.backoffs.setdefault(worker.line, reconnect.Backoff(first=0.5, cap=30.0))
        if time.monotonic() - worker.started < QUICK_DEATH:
            self.start_at[worker.line] = time.monotonic() + backoff.next_delay()
        else:
            backoff.reset()

    # Signals
    def handle_signals(self) -> bool:
        """Act on the signals received, in order; False when the manager must exit now."""
        while self.flags.received:
            signum = self.flags.received.pop(0)
            if signum in self.stops:
                if not self.stop(signum, self.stops[signum]):
                    return False
            elif signum in PASSED_ON:
                logger.info("%s: passing it on to every worker", signal.Signals(signum).name)
                self.signal_all(signum)
            elif signum == signal.SIGHUP:
                self.reload()
            elif signum == signal.SIGWINCH:
                self.stop_all_workers()
            elif signum in (signal.SIGTTIN, signal.SIGTTOU):
                self.resize(1 if signum == signal.SIGTTIN else -1)
        return True

    def stop(self, signum: int, stop: Stop) -> bool:
        name = signal.Signals(signum).name
        logger.info("%s: %s to every worker%s", name, signal.Signals(stop.to_workers).name, ", waiting" * stop.wait)
        self.stopping = True
        self.signal_all(stop.to_workers)
        return stop.wait

    def reload(self) -> None:
        if self.stopping:
            return
        try:
            lines = dict(self.load())
        except Exception as exc:  # a bad config must not take the running pool down
            logger.error("HUP: the pool config is refused, the pool keeps its shape: %s", exc)
            return
        logger.info("HUP: reshaping the pool to %s", lines)
        self.lines = lines
        self.start_at.clear()

    def stop_all_workers(self) -> None:
        if in_terminal_foreground():
            logger.info("WINCH ignored: the manager is a terminal's foreground process (a resize sends it)")
            return
        logger.info("WINCH: stopping every worker; HUP starts them again")
        self.lines = {line: 0 for line in self.lines}

    def resize(self, delta: int) -> None:
        self.lines = {line: max(0, count + delta) for line, count in self.lines.items()}
        logger.info("%s: the pool is now %s", "TTIN" if delta > 0 else "TTOU", self.lines)

    def signal_all(self, signum: int) -> None:
        for pid in self.workers:
            self.send(pid, signum)

    @staticmethod
    def send(pid: int, signum: int) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass  # exited: reaped next

    # What others see
    def prepare_for_forks(self) -> None:
        """Warmed up once for every worker; no DB connection crosses a fork; what is loaded now is
        shared, never collected, by workers."""
        warm_up.run()
        connections.close_all()
        gc.collect()
        gc.freeze()

    def show(self) -> None:
        shown = "managing %s" % sorted(self.workers)
        if shown != self.shown:
            title.pool_manager(shown)
            self.shown = shown

    def save_record(self) -> None:
        if time.monotonic() < self.record_due:
            return
        workers = {pid: worker.line for pid, worker in self.workers.items()}
        try:
            pools.save(self.pid, self.started, self.lines, workers)
            self.record_due = time.monotonic() + conf.get("HEARTBEAT_INTERVAL")
            self.record_backoff.reset()
        except reconnect.CONNECTION_ERRORS as exc:
            delay = self.record_backoff.next_delay()
            logger.warning("Could not record the pool in Redis (%s); retrying in %.0fs", exc, delay)
            self.record_due = time.monotonic() + delay

    def remove_record(self) -> None:
        try:
            pools.remove(self.pid)
        except reconnect.CONNECTION_ERRORS as exc:
            logger.warning("Could not remove the pool's record from Redis (%s); it expires", exc)


def quit_with_manager(manager: int) -> None:
    """Ask Linux for SIGQUIT when the manager dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)
    if os.getppid() != manager:
        os._exit(0)


def in_terminal_foreground() -> bool:
    """Whether our process group is the foreground one of our controlling terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False  # no controlling terminal
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)
