"""Fork mode: how job processes come to exist, get their job, and are reaped.

One way in: ``start(reservation)`` gives a process that holds the job. It is the spare
(forked ahead, while the last job ran or while the worker waited), handed the job's
record over its pipe; or, when there is no spare, a process forked now for the job.
Spares come from the fork server (``fork_server.py``) where there is one, else the
worker forks them itself. Either way the job was reserved by the worker first, so it is
in ``worker:<id>`` before any process has it (``inflight.py``).

Switches, each for a reason a user may have (docs/fork-model.md): ``--no-prefork``
forks only once a job is reserved (no idle spare; a ``before_fork`` receiver, which is
promised the job, turns pre-forking off too); ``--no-fork-server`` makes the worker fork
its spares itself (where the fork server's pidfds and fd passing are not allowed).
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import signal
import time
from typing import TYPE_CHECKING, NoReturn

from django.db import connections
from django.db.backends.signals import connection_created

from ..exceptions import ForkServerGoneError
from ..reconnect import Backoff
from ..signals import before_first_fork, before_fork, send
from . import child, fork_server
from .fork import AwaitingChild, JobProcess
from .fork_server import ForkServer

if TYPE_CHECKING:
    from ..inflight import Reservation
    from .process_signals import Intent
    from .worker import WorkerOptions

logger = logging.getLogger(__name__)


class JobProcesses:
    """The job processes of one worker: the spare, the fork server, and those left to exit."""

    def __init__(self, worker_id: str, options: WorkerOptions, intent: Intent) -> None:
        self.worker_id, self.options, self.intent = worker_id, options, intent
        self.spare: JobProcess | None = None  # forked ahead, waiting for its job
        self.fork_server: ForkServer | None = None
        self.fork_server_due = 0.0  # when a fork server may be (re)started
        self.fork_server_backoff = Backoff(first=1.0, cap=60.0)
        self.awaiting: AwaitingChild | None = None  # a process that handed its record back, awaiting word
        self.exiting: list[JobProcess] = []  # done with their job, exiting on their own
        self.has_forked = False
        self.db_connected = True  # until the first close: anything before us may have connected
        connection_created.connect(self._note_db_connection)

    def start(self, reservation: Reservation, use_spare: bool = True) -> tuple[JobProcess, bool]:
        """A process holding the job: the spare, handed the job's record; else one forked for it.

        The flag says whether the job was handed over (a spare may die before it reads it).
        """
        spare, self.spare = (self.spare, None) if use_spare else (None, self.spare)
        if spare is not None:
            if spare.reap() is None and spare.hand(reservation.record):
                return spare, True
            self.discard(spare)
        self.before_forking()
        send(before_fork, None, worker_id=self.worker_id, reservation=reservation)
        return JobProcess.spawn(self._target(reservation), close_in_child=self.fds_not_for_children()), False

    def fork_spare(self, running: JobProcess | None = None) -> None:
        """Fork the next job process ahead of its job, unless pre-forking is off.

        A ``before_fork`` receiver turns it off: it is promised the job, not known yet.
        """
        if self.spare is not None or not self.options.prefork or self.intent.shutdown:
            return
        if before_fork.has_listeners(None):
            return
        self.before_forking()
        try:
            self.spare = self.spawn_spare(running)
        except OSError as exc:  # e.g. EAGAIN: the next job forks its own process
            logger.warning("Could not pre-fork a job process: %s", exc)

    def spawn_spare(self, running: JobProcess | None) -> JobProcess:
        """A job process awaiting its job: from the fork server if there is one, else forked here."""
        server = self.usable_fork_server(running)
        if server is not None:
            try:
                return server.spawn()
            except ForkServerGoneError as exc:
                logger.warning("Fork server %d is gone (%s); the worker forks until it is replaced", server.pid, exc)
                self.stop_fork_server()
                self.delay_fork_server()
        return JobProcess.spawn(self._spare_target(), close_in_child=self.fds_not_for_children(running))

    def _target(self, reservation: Reservation | None) -> functools.partial[NoReturn]:
        """``child.run`` for ``reservation`` (None: a spare, handed its job later), given a channel."""
        options = self.options
        queues = list(options.queues)
        return functools.partial(child.run, reservation, self.worker_id, queues, options.jobs_per_fork, options.timeout)

    def _spare_target(self, served: bool = False) -> functools.partial[NoReturn]:
        return functools.partial(self._target(None), parent=os.getpid(), served=served)

    def usable_fork_server(self, running: JobProcess | None) -> ForkServer | None:
        """The fork server, started if due; None where there is none."""
        wanted = self.options.fork_server and fork_server.supported()
        if self.fork_server is None and wanted and time.monotonic() >= self.fork_server_due:
            target, fds = self._spare_target(served=True), self.fds_not_for_children(running)
            try:
                prepare = functools.partial(child.prepare_fork_server, os.getpid())
                self.fork_server = ForkServer.start(target, fds, prepare)
                logger.info("Fork server %d forks the job processes of %s", self.fork_server.pid, self.worker_id)
            except OSError as exc:  # e.g. EAGAIN: try again later
                logger.warning("Could not start a fork server: %s", exc)
                self.delay_fork_server()
        return self.fork_server

    def delay_fork_server(self) -> None:
        """No fork server for a while: 1 s, then 2, 4, ... up to a minute if it keeps failing."""
        self.fork_server_due = time.monotonic() + self.fork_server_backoff.next_delay()

    def stop_fork_server(self) -> None:
        if self.fork_server is not None:
            self.fork_server.stop()
            self.fork_server = None

    def fds_not_for_children(self, running: JobProcess | None = None) -> list[int]:
        """Our ends of other processes' pipes and sockets: a new child closes its copies.

        A pre-forked process learns of our death from its pipe's end of file, and a
        job process that handed its record back from ours: no one else may hold them.
        """
        fds = [*(running.own_fds() if running else ()), *(self.spare.own_fds() if self.spare else ())]
        if self.fork_server is not None:
            fds += self.fork_server.own_fds()
        if self.awaiting is not None and self.awaiting.fd is not None:
            fds.append(self.awaiting.fd)
        return fds

    def before_forking(self) -> None:
        if not self.has_forked:
            send(before_first_fork, None, worker_id=self.worker_id)
            self.has_forked = True
            # What is loaded now (Django, the jobs) is never collected in a child: a
            # child's full collection would otherwise copy every page it shares with us.
            gc.collect()
            gc.freeze()
        if self.db_connected:  # the parent holds no DB connection across a fork
            connections.close_all()
            self.db_connected = False

    def _note_db_connection(self, **kwargs: object) -> None:
        """A database connection opened in this process (e.g. by a failure backend)."""
        self.db_connected = True

    def await_word(self, process: JobProcess) -> None:
        """``process`` handed its record back: it waits for word that the record is finished."""
        self.awaiting = AwaitingChild(process)

    def say_finished(self) -> None:
        """The record handed back is finished in Redis: the waiting process may exit."""
        if self.awaiting is not None:
            self.awaiting.say_finished()
            self.awaiting = None

    def leave(self, process: JobProcess) -> None:
        """A job process done with its job exits on its own: reap it later."""
        if process.status is None:
            self.exiting.append(process)

    def discard(self, spare: JobProcess) -> None:
        """Kill a pre-forked process that holds no job (dead, or it could not take one)."""
        spare.kill(signal.SIGKILL)
        spare.close()
        self.leave(spare)

    def reap_exiting(self, block: bool = False) -> None:
        """Reap children that finished their job and were left to exit on their own."""
        for process in list(self.exiting):
            if process.reap(block) is not None:
                process.release()
                self.exiting.remove(process)

    def close(self) -> None:
        """At the worker's exit: no spare; a process awaiting word finishes its record itself."""
        if self.spare is not None:
            self.discard(self.spare)
            self.spare = None
        if self.awaiting is not None:
            self.awaiting.release()
            self.awaiting = None
        self.reap_exiting(block=True)
        self.stop_fork_server()
