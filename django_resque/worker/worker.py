"""The worker process: register, reserve, hand the job to a job process, watch, record, repeat.

The loop reads as Resque's: reserve the next job in priority order (looking at the
first queue again after every job), hand it to a job process (``processes.py``), watch
that process (``watch.py``: its timeout, our signals, the heartbeat), record how it
ended (``inflight.py``: a job whose process died holding it is failed), repeat. The
worker never runs job code; with ``--no-fork`` it does, within a SIGALRM time limit.
"""

from __future__ import annotations

import functools
import logging
import select
import signal
import time
from dataclasses import dataclass, field

from .. import capacity, held_connection, history, inflight, queue_hints, reconnect, scripts, workers
from ..exceptions import DirtyExitError
from . import limits, perform, title, warm_up
from .heartbeat import Heartbeat
from .limits import InlineLimits
from .process_signals import STOP_SIGNALS, SignalFlags
from .processes import JobProcesses
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
        self.heartbeat = Heartbeat(self.id, self.queues, threaded=not options.fork)
        self.jobs = JobProcesses(self.id, options, self.intent)
        self.finished: inflight.Finished | None = None  # done; its record goes with the next reserve
        self.check_orphan = False  # a Redis call failed: settle what it did before the next reserve

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
        self.waiter.subscribe()  # before the first reserve: a job taken at once can be cancelled(kill=True)
        if not self.options.fork:
            self.heartbeat.start_thread()

    def register(self) -> None:
        title.starting()  # before our id is in Redis, so a pruner on this host sees a Resque process
        self.heartbeat.prune()
        workers.register(self.id)
        queue_hints.hint_worker(self.queues)
        for source in JOB_PROCESS_SCRIPTS:  # loaded once here, known to every child forked
            scripts.load(source)
        self.heartbeat.restart()

    def step(self) -> bool:
        """Reserve and work one job, or wait for one; False when a burst is over."""
        try:
            self.between_jobs()
            if self.update_pause():
                self.finish_now()
                self.idle(self.options.interval)
                return True
            reservation = self.reserve()
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

    def between_jobs(self) -> None:
        """Signals read, exited job processes reaped, heartbeat when due, a lost call settled."""
        self.flags.drain()
        self.jobs.reap_exiting()
        self.heartbeat.tick()
        if self.check_orphan:
            self.resume_orphan()

    def reserve(self) -> inflight.Reservation | inflight.Paused | None:
        """The next job, finishing the last one's record in the same call (``inflight.reserve``)."""
        queues, self.announced = self.announced or self.queues, []  # once: after an error, all again
        reservation = inflight.reserve(self.id, queues, self.finished)
        reconnect.log_back(self.backoff, "working again")
        self.record_finished()
        return reservation

    def process(self, reservation: inflight.Reservation) -> None:
        if self.options.fork:
            self.fork_and_watch(reservation)
        else:
            self.perform_inline(reservation)

    def wait_for_jobs(self) -> None:
        if self.options.fork:
            self.jobs.fork_spare()  # ready before the next job arrives
        title.waiting(self.queues)
        # Returns on an announcement of a watched queue: a worker that loses the job to
        # another finds nothing and waits for the next one, so losing never spins.
        self.announced = self.waiter.wait(self.wait_timeout(), (self.flags.wake_fd,))

    def shutdown(self) -> None:
        self.heartbeat.stop()
        self.jobs.close()
        self.waiter.close()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        done = reconnect.until_done(
            self.unregister, "unregistering", lambda: time.monotonic() > deadline or self.intent.forced >= 2
        )
        logger.info("Worker %s stopped%s", self.id, "" if done else " (Redis unreachable: pruning will clean up)")

    def unregister(self) -> bool:
        self.finish_now()
        history.flush()
        inflight.recover(self.id, DirtyExitError("Job still being processed"))
        workers.unregister_keys(self.id)
        return True

    # Fork mode: the job goes to a job process
    def fork_and_watch(self, reservation: inflight.Reservation, use_spare: bool = True) -> None:
        """Hand the job to a job process, watch it until it is done with the job, record how it ended."""
        process, handed = self.jobs.start(reservation, use_spare)
        title.forked(process.pid)
        watch = ChildWatch(self, process, reservation, limits.timeout_for(reservation, self.options.timeout))
        watch.received = not handed
        self.jobs.fork_spare(running=process)  # while the job runs: the next job waits for no fork
        try:
            watch.run()
            if watch.handed_back is not None:
                self.jobs.await_word(process)
        finally:
            process.close()
        self.finished = watch.handed_back
        if watch.lost_before_its_job() and not self.intent.shutdown:
            logger.warning("Pre-forked pid %d died before taking %s; forking for it", process.pid, reservation.name)
            self.fork_and_watch(reservation, use_spare=False)
        elif process.status is None:
            self.jobs.leave(process)  # reported its job and is exiting: reap it later
        elif watch.died_holding_its_job():
            self.recover_from_child(watch)

    def recover_from_child(self, watch: ChildWatch) -> None:
        error = watch.exit_error()
        reconnect.until_done(
            lambda: inflight.recover(self.id, error, counted=True), "recovering a job", lambda: self.intent.forced >= 2
        )

    # --no-fork: the job runs here
    def perform_inline(self, reservation: inflight.Reservation) -> None:
        timeout = limits.timeout_for(reservation, self.options.timeout)
        inline_limits = InlineLimits(timeout, reservation.name)
        self.flags.on_kill_request = functools.partial(self._terminate_inline, inline_limits)
        title.processing(reservation.queue, reservation.name)
        try:
            give_up = lambda: self.intent.forced >= 2  # noqa: E731
            # The record and the result, if kept, go with the next reserve (any size: no pipe here).
            self.finished = perform.work_and_hand_back(reservation, self.id, give_up, inline_limits)
        finally:
            self.flags.on_kill_request = None
        self.intent.take_kill_request()

    def _terminate_inline(self, inline_limits: InlineLimits, signal_name: str) -> None:
        grace = 0.0 if self.intent.forced >= 2 or signal_name == "SIGUSR1" else self.options.term_timeout
        inline_limits.terminate_after(grace, signal_name)

    # The record of the last job
    def finish_now(self) -> None:
        """Finish the last job's record without waiting for a reserve (pausing, stopping)."""
        if self.finished is not None:
            inflight.finish(self.id, self.finished.record, self.finished.failed, result=self.finished.result)
            self.record_finished()

    def record_finished(self) -> None:
        """The last job's record is finished in Redis: forget it, and tell its job process.

        That process waits for the word; without it (we died first) it finishes the record.
        """
        self.finished = None
        self.jobs.say_finished()

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

    # Signals, errors, waiting
    def update_pause(self) -> bool:
        if self.intent.pause_changed:
            workers.set_paused(self.id, self.intent.paused)
            self.intent.pause_changed = False
            logger.info("Worker %s %s", self.id, "paused" if self.intent.paused else "resumed")
            if self.intent.paused:
                title.paused()
        return self.intent.paused

    def log_stop_request(self) -> None:
        """Name the signal that ended the loop (handlers cannot log; the loop can)."""
        if self.intent.shutdown:
            asked = [signal.Signals(signum).name for signum in self.flags.received if signum in STOP_SIGNALS]
            logger.info("Worker %s stopping on %s", self.id, asked[0] if asked else "request")

    def on_error(self, exc: Exception) -> None:
        """Redis away or busy (BUSY, LOADING...), or a bug or bad data in our bookkeeping: back off.

        Either way the registration stays true (the heartbeat goes on) and the next step
        first settles what the failed call left in ``worker:<id>``.
        """
        delay = self.backoff.next_delay()
        if not reconnect.is_transient(exc):
            logger.exception("Worker %s: error in its own bookkeeping (%r); retrying in %.1fs", self.id, exc, delay)
        elif not capacity.refused(exc, "Retrying every %.0fs at most." % self.backoff.cap):
            logger.warning("Redis unreachable (%s); retrying in %.1fs", exc, delay)
        self.check_orphan = True
        self.waiter.close()
        self.idle(delay)

    def wait_timeout(self) -> float:
        return max(0.0, min(self.options.interval, self.heartbeat.seconds_left()))

    def idle(self, seconds: float) -> None:
        """Sleep, waking at once on a signal."""
        select.select([self.flags.wake_fd], [], [], seconds)
