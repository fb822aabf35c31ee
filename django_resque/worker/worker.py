"""The worker process: register, reserve, fork a job process, wait, repeat; unregister.

The loop reads as Resque's: reserve the next job in priority order (looking at the
first queue again after every job), fork, watch the child (its timeout, our
signals, the heartbeat), recover its job if it died holding one, done. The parent
never runs job code; with ``--no-fork`` it does, within a SIGALRM time limit.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import select
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import NoReturn

from django.db import connections
from django.db.backends.signals import connection_created

from .. import capacity, conf, held_connection, inflight, pruning, queue_hints, reconnect, scripts, workers
from ..exceptions import DirtyExitError
from ..signals import before_first_fork, before_fork, send
from . import child, fork_server, perform, title, warm_up
from .fork import AwaitingChild, JobProcess
from .fork_server import ForkServer, ForkServerGoneError
from .inline import InlineLimits
from .process_signals import STOP_SIGNALS, SignalFlags
from .waiting import QueueWaiter
from .watch import ChildWatch

logger = logging.getLogger(__name__)

JOB_PROCESS_SCRIPTS = (scripts.RESERVE, scripts.FINISH_JOB)
SHUTDOWN_GRACE = 10.0  # seconds to keep retrying Redis while unregistering


@dataclass(frozen=True)
class WorkerOptions:
    queues: list[str]
    interval: float = 5.0
    burst: bool = False
    fork: bool = True
    jobs_per_fork: int = 1
    prefork: bool = True  # fork mode: fork the next job process while the current job runs
    fork_server: bool = True  # pre-forked job processes come from a fork server, not the worker
    term_timeout: float = 4.0
    timeout: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Worker:
    """One worker process (``host:pid:queues``)."""

    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.queues = list(options.queues)
        self.id = workers.worker_id(self.queues)
        self.flags = SignalFlags()
        self.intent = self.flags.intent
        self.waiter = QueueWaiter(self.queues, options.interval)
        self.announced: list[str] = []  # the queues to reserve over next, if not all (waiting.py)
        self.backoff = reconnect.Backoff(first=0.5, cap=10.0)
        self.has_forked = False
        self.spare: JobProcess | None = None  # pre-forked, waiting for its job
        self.fork_server: ForkServer | None = None
        self.fork_server_due = 0.0  # when a fork server may be (re)started
        self.fork_server_backoff = reconnect.Backoff(first=1.0, cap=60.0)
        self.finished: inflight.Finished | None = None  # done; its record goes with the next reserve
        self.awaiting: AwaitingChild | None = None  # the job process of ``finished``, awaiting word
        self.db_connected = True  # until the first close: anything before us may have connected
        connection_created.connect(self._note_db_connection)
        self.exiting: list[JobProcess] = []  # done with their job, exiting on their own
        self.check_orphan = False
        self.next_tick = 0.0
        self._stop_heartbeat = threading.Event()

    # The story
    def work(self) -> None:
        """Register, then work jobs until a signal says stop (or, with --burst, queues are empty)."""
        self.flags.install()
        try:
            self.startup()
            while not self.intent.shutdown and self.step():
                pass
            self.log_stop_request()
        finally:
            self.shutdown()
            self.flags.close()

    def startup(self) -> None:
        warm_up.run()  # before anything is forked: every job process inherits it
        held_connection.decline()  # two connections in all: the pool's one and the waiter's
        logger.info("Worker %s starting (%s)", self.id, "fork per job" if self.options.fork else "no fork")
        reconnect.until_done(self.register, "registering the worker", lambda: self.intent.shutdown)
        if not self.options.fork:
            threading.Thread(target=self._heartbeat_thread, name="resque-heartbeat", daemon=True).start()

    def log_stop_request(self) -> None:
        """Name the signal that ended the loop (handlers cannot log; the loop can)."""
        if self.intent.shutdown:
            asked = [signal.Signals(signum).name for signum in self.flags.received if signum in STOP_SIGNALS]
            logger.info("Worker %s stopping on %s", self.id, asked[0] if asked else "request")

    def register(self) -> None:
        title.starting()  # before our id is in Redis, so a pruner on this host sees a Resque process
        self.prune()
        workers.register(self.id)
        queue_hints.hint_worker(self.queues)
        for source in JOB_PROCESS_SCRIPTS:  # loaded once here, known to every child forked
            scripts.load(source)
        self.next_tick = time.monotonic() + conf.get("HEARTBEAT_INTERVAL")

    def step(self) -> bool:
        """Reserve and work one job, or wait for one; False when a burst is over."""
        self.flags.drain()
        self.reap_exiting()
        try:
            self.tick()
            if self.check_orphan:
                self.resume_orphan()
            if self.update_pause():
                self.finish_now()
                self.idle(self.options.interval)
                return True
            queues, self.announced = self.announced or self.queues, []  # once: after an error, all again
            reservation = inflight.reserve(self.id, queues, self.finished)
            reconnect.log_back(self.backoff, "working again")
            self.record_finished()
            if reservation is None and self.options.burst:
                return False
            if isinstance(reservation, inflight.Reservation):
                self.process(reservation)
            elif reservation is inflight.PAUSED:
                self.idle(self.options.interval)
            else:
                self.wait_for_jobs()
            self.backoff.reset()
        except Exception as exc:  # nothing in the worker's own bookkeeping may end it
            self.on_error(exc)
        return True

    def wait_for_jobs(self) -> None:
        if self.options.fork:
            self.fork_spare()  # ready before the next job arrives
        title.waiting(self.queues)
        # Returns on an announcement of a watched queue: a worker that loses the job to
        # another finds nothing and waits for the next one, so losing never spins.
        self.announced = self.waiter.wait(self.wait_timeout(), (self.flags.wake_fd,))

    def process(self, reservation: inflight.Reservation) -> None:
        if self.options.fork:
            self.fork_and_watch(reservation)
        else:
            self.perform_inline(reservation)

    def shutdown(self) -> None:
        self._stop_heartbeat.set()
        self.drop_spare()
        if self.awaiting is not None:  # no word: it finishes its record, or finds it finished
            self.awaiting.release()
            self.awaiting = None
        self.reap_exiting(block=True)
        self.stop_fork_server()
        self.waiter.close()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        done = reconnect.until_done(
            self.unregister, "unregistering", lambda: time.monotonic() > deadline or self.intent.forced >= 2
        )
        logger.info("Worker %s stopped%s", self.id, "" if done else " (Redis unreachable: pruning will clean up)")

    def unregister(self) -> bool:
        self.finish_now()
        inflight.recover(self.id, DirtyExitError("Job still being processed"))
        workers.unregister_keys(self.id)
        return True

    # Fork mode
    def fork_and_watch(self, reservation: inflight.Reservation, use_spare: bool = True) -> None:
        process, handed = self.job_process_for(reservation, use_spare)
        title.forked(process.pid)
        watch = ChildWatch(self, process, reservation, perform.timeout_for(reservation, self.options.timeout))
        watch.received = not handed
        self.fork_spare(running=process)  # while the job runs: the next job waits for no fork
        try:
            watch.run()
            if watch.handed_back is not None:
                self.awaiting = AwaitingChild(process)
        finally:
            process.close()
        self.finished = watch.handed_back
        if not watch.received and not watch.killed_by and not self.intent.shutdown:
            # The pre-forked process died before it had the job: none of its code ran.
            logger.warning("Pre-forked pid %d died before taking %s; forking for it", process.pid, reservation.name)
            self.fork_and_watch(reservation, use_spare=False)
        elif process.status is None:
            self.exiting.append(process)  # reported its job and is exiting: reap it later
        elif watch.in_flight or (process.status != 0 and self.finished is None):
            self.recover_from_child(watch)

    def job_process_for(self, reservation: inflight.Reservation, use_spare: bool) -> tuple[JobProcess, bool]:
        """The pre-forked process, handed the job's record; else one forked for the job.

        The flag says whether the job was handed over.
        """
        spare, self.spare = (self.spare, None) if use_spare else (None, self.spare)
        if spare is not None:
            if spare.reap() is None and spare.hand(reservation.record):
                return spare, True
            self.discard(spare)
        self.before_forking()
        send(before_fork, None, worker_id=self.id, reservation=reservation)
        target = functools.partial(
            child.run, reservation, self.id, self.queues, self.options.jobs_per_fork, self.options.timeout
        )
        return JobProcess.spawn(target, close_in_child=self.fds_not_for_children()), False

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
        return JobProcess.spawn(self.spare_target(), close_in_child=self.fds_not_for_children(running))

    def spare_target(self, served: bool = False) -> functools.partial[NoReturn]:
        options = self.options
        run = functools.partial(child.run, None, self.id, self.queues, options.jobs_per_fork, options.timeout)
        return functools.partial(run, parent=os.getpid(), served=served)

    def usable_fork_server(self, running: JobProcess | None) -> ForkServer | None:
        """The fork server, started if due; None where there is none."""
        wanted = self.options.fork_server and fork_server.supported()
        if self.fork_server is None and wanted and time.monotonic() >= self.fork_server_due:
            target, fds = self.spare_target(served=True), self.fds_not_for_children(running)
            try:
                prepare = functools.partial(child.prepare_fork_server, os.getpid())
                self.fork_server = ForkServer.start(target, fds, prepare)
                logger.info("Fork server %d forks the job processes of %s", self.fork_server.pid, self.id)
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
            send(before_first_fork, None, worker_id=self.id)
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

    def discard(self, spare: JobProcess) -> None:
        """Kill a pre-forked process that holds no job (dead, or it could not take one)."""
        spare.kill(signal.SIGKILL)
        spare.close()
        if spare.status is None:
            self.exiting.append(spare)

    def drop_spare(self) -> None:
        if self.spare is not None:
            self.discard(self.spare)
            self.spare = None

    def reap_exiting(self, block: bool = False) -> None:
        """Reap children that finished their job and were left to exit on their own."""
        for process in list(self.exiting):
            if process.reap(block) is not None:
                process.release()
                self.exiting.remove(process)

    def recover_from_child(self, watch: ChildWatch) -> None:
        error = watch.exit_error()
        reconnect.until_done(
            lambda: inflight.recover(self.id, error, counted=True), "recovering a job", lambda: self.intent.forced >= 2
        )

    # No-fork mode
    def perform_inline(self, reservation: inflight.Reservation) -> None:
        timeout = perform.timeout_for(reservation, self.options.timeout)
        limits = InlineLimits(timeout, reservation.name)
        self.flags.on_kill_request = functools.partial(self._terminate_inline, limits)
        title.processing(reservation.queue, reservation.name)
        try:
            failed = perform.work(reservation, self.id, lambda: self.intent.forced >= 2, limits, finish_record=False)
            self.finished = inflight.Finished(reservation.record, failed)
        finally:
            self.flags.on_kill_request = None
        self.intent.take_kill_request()

    def _terminate_inline(self, limits: InlineLimits, signal_name: str) -> None:
        grace = 0.0 if self.intent.forced >= 2 or signal_name == "SIGUSR1" else self.options.term_timeout
        limits.terminate_after(grace, signal_name)

    def _heartbeat_thread(self) -> None:
        interval = conf.get("HEARTBEAT_INTERVAL")
        while not self._stop_heartbeat.wait(interval):
            try:
                workers.heartbeat(self.id)
            except Exception as exc:  # the thread must outlive any error, or pruning takes us
                logger.warning("Heartbeat of %s failed: %s", self.id, exc)

    # Housekeeping
    def tick(self) -> None:
        """Heartbeat and prune, every HEARTBEAT_INTERVAL."""
        if time.monotonic() < self.next_tick:
            return
        self.next_tick = time.monotonic() + conf.get("HEARTBEAT_INTERVAL")
        if self.options.fork:
            workers.heartbeat(self.id)
        self.prune(periodic=True)

    def prune(self, periodic: bool = False) -> None:
        """Prune dead workers; another worker's bad record (any error but Redis away) is logged."""
        try:
            pruning.prune_dead_workers(self.id, self.queues, periodic=periodic)
        except Exception as exc:
            if reconnect.is_transient(exc):
                raise
            logger.exception("Worker %s could not prune dead workers: %r", self.id, exc)

    def safe_tick(self) -> None:
        """``tick`` while a child runs: Redis being away or busy must not stop the watch."""
        try:
            self.tick()
        except Exception as exc:
            logger.warning("Heartbeat of %s failed: %s", self.id, exc)

    def update_pause(self) -> bool:
        if self.intent.pause_changed:
            workers.set_paused(self.id, self.intent.paused)
            self.intent.pause_changed = False
            logger.info("Worker %s %s", self.id, "paused" if self.intent.paused else "resumed")
            if self.intent.paused:
                title.paused()
        return self.intent.paused

    def finish_now(self) -> None:
        """Finish the last job's record without waiting for a reserve (pausing, stopping)."""
        if self.finished is not None:
            inflight.finish(self.id, self.finished.record, self.finished.failed)
            self.record_finished()

    def record_finished(self) -> None:
        """The last job's record is finished in Redis: forget it, and tell its job process.

        That process waits for the word; without it (we died first) it finishes the record.
        """
        self.finished = None
        if self.awaiting is not None:
            self.awaiting.say_finished()
            self.awaiting = None

    def resume_orphan(self) -> None:
        """After a lost reply, settle what the lost call did from ``worker:<id>``.

        Our finished job's record still there: the call never ran, the next reserve
        finishes it. Anything else: it ran; a job it recorded that we never saw is worked.
        """
        orphan = inflight.current(self.id)
        self.check_orphan = False
        if self.finished is not None and orphan is not None and orphan.record == self.finished.record:
            return
        self.record_finished()
        if orphan is not None:
            logger.warning("Found %s in our own record after a lost connection; working it", orphan.name)
            self.process(orphan)

    def on_error(self, exc: Exception) -> None:
        """Redis away or busy (BUSY, LOADING...), or a bug or bad data in our bookkeeping: back off.

        Either way the registration stays true (the heartbeat goes on) and the next step
        first settles what the failed call left in ``worker:<id>``.
        """
        if reconnect.is_transient(exc):
            self.on_connection_lost(exc)
            return
        delay = self.backoff.next_delay()
        logger.exception("Worker %s: error in its own bookkeeping (%r); retrying in %.1fs", self.id, exc, delay)
        self.check_orphan = True
        self.waiter.close()
        self.idle(delay)

    def on_connection_lost(self, exc: Exception) -> None:
        delay = self.backoff.next_delay()
        if not capacity.refused(exc, "Retrying every %.0fs at most." % self.backoff.cap):
            logger.warning("Redis unreachable (%s); retrying in %.1fs", exc, delay)
        self.check_orphan = True
        self.waiter.close()
        self.idle(delay)

    def wait_timeout(self) -> float:
        return max(0.0, min(self.options.interval, self.next_tick - time.monotonic()))

    def idle(self, seconds: float) -> None:
        """Sleep, waking at once on a signal."""
        select.select([self.flags.wake_fd], [], [], seconds)
