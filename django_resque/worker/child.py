"""The forked job process: reset what must not be shared, work, leave with ``os._exit``.

Nothing inherited from the parent is closed in a way the parent would notice: the
Redis client's pool starts empty in the child (``connection.inherit``), and inherited database and
cache connections are dropped unused and kept referenced until ``os._exit``, so no
destructor ever sends a goodbye on the parent's sockets.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.cache import caches
from django.db import connections

from .. import connection, history, inflight, reconnect
from ..signals import after_fork, send
from . import limits, perform, prefork, process_signals, title
from .fork import ChildChannel, has_exited

logger = logging.getLogger(__name__)

# How long a job process that handed its record back waits for the worker to say the
# record is finished (the worker's next reserve, normally within milliseconds). Without
# that word (the worker died, stopped, or is stuck) it finishes the record itself.
AWAIT_FINISHED_SECONDS = 10.0

_inherited: list[Any] = []  # parent's DB/cache connection objects, kept alive until _exit
_worker_pidfd: int | None = None  # in a fork server and its job processes: the worker's pidfd


def run(
    reservation: inflight.Reservation | None,
    worker_id: str,
    queues: list[str],
    jobs_per_fork: int,
    default_timeout: float | None,
    channel: ChildChannel,
    parent: int = 0,
    served: bool = False,
) -> NoReturn:
    """Work ``reservation`` and then up to ``jobs_per_fork - 1`` more, then exit.

    Pre-forked (``reservation`` None), first wait for the job ``parent`` hands over.
    ``served``: forked by the fork server, which dropped the inherited connections.
    """
    code = 0
    try:
        prepare_after_fork(served)
        if reservation is None:
            reservation = prefork.await_first_job(channel, parent, connect=jobs_per_fork > 1)
        if reservation is not None:
            send(after_fork, None, worker_id=worker_id, reservation=reservation)
            _work_jobs(reservation, worker_id, queues, jobs_per_fork, default_timeout, channel)
    except BaseException:
        logger.exception("Job process %d failed outside a job", os.getpid())
        code = 1
    finally:
        _flush_streams()
        os._exit(code)


def prepare_after_fork(served: bool = False) -> None:
    """Signal dispositions of a job process, fresh Redis client, no inherited DB/cache connection.

    ``served``: forked by the fork server, which dropped the connections and set the
    dispositions once for all its job processes (``prepare_fork_server``).
    """
    process_signals.reset_in_child(served)
    connection.inherit()
    if not served:
        drop_inherited_connections()


def prepare_fork_server(worker: int) -> None:
    """Once, in a new fork server: what its job processes need not do each.

    It forgets the DB and cache connections the worker had: it runs no job code and so
    opens none, and its job processes skip the scan (about a hundred copied pages per
    job). It sets the signal dispositions of a job process but TERM's, which its job
    processes then reset alone (``process_signals``). It keeps a pidfd of the worker,
    its parent, by which its job processes know whether the worker lives, whatever
    becomes of the fork server.
    """
    global _worker_pidfd
    drop_inherited_connections()
    process_signals.prepare_fork_server()
    try:
        pidfd = os.pidfd_open(worker)
    except ProcessLookupError:
        return  # the worker is gone: the fork server sees its socket closed
    if os.getppid() == worker:  # else the worker died first: the pid may be another's
        _worker_pidfd = pidfd
    else:
        os.close(pidfd)


def drop_inherited_connections() -> None:
    """Forget the DB and cache connections the parent had, unused."""
    _abandon(connections)
    _abandon(caches)


def worker_gone_check() -> Callable[[], bool]:
    """A test of whether our worker is gone: its pidfd, where the fork server kept one; else our parent changing."""
    pidfd = _worker_pidfd
    if pidfd is not None:
        return lambda: has_exited(pidfd)
    parent = os.getppid()
    return lambda: os.getppid() != parent


def _work_jobs(
    reservation: inflight.Reservation,
    worker_id: str,
    queues: list[str],
    jobs_left: int,
    default_timeout: float | None,
    channel: ChildChannel,
) -> None:
    """Work jobs until ``jobs_left`` is spent or the parent asks us to stop.

    A child forked for one job leaves its record to the parent, which knows it and
    finishes it in its next reserve: such a child, unless its job fails or uses Redis,
    never opens a Redis connection at all.
    """
    current: Any = reservation
    hand_back = jobs_left == 1
    worker_gone = worker_gone_check()
    while True:
        title.processing(current.queue, current.name)
        # Redis away after the job: retry while our worker lives; if it is gone, the
        # record stays in Redis for pruning, and an orphan must not linger forever.
        if hand_back:
            _work_and_hand_back(current, worker_id, worker_gone, channel)
        else:
            perform.work(current, worker_id, give_up=worker_gone)
            channel.done()
        jobs_left -= 1
        if jobs_left <= 0 or channel.stop_requested():
            _write_history()
            return
        current = inflight.reserve(worker_id, queues)
        if not isinstance(current, inflight.Reservation):
            return
        channel.started(limits.timeout_for(current, default_timeout))


def _work_and_hand_back(
    reservation: inflight.Reservation, worker_id: str, worker_gone: Callable[[], bool], channel: ChildChannel
) -> None:
    """Work the job and hand its record back, with its result if the pipe takes it (else it
    is stored here); finish the record here if the worker does not say it did."""
    finished = perform.work_and_hand_back(reservation, worker_id, worker_gone, hand_up_to=channel.result_room())
    result = finished.result
    channel.done(finished.failed, result.encoded if result else None, result.seconds if result else 0)
    if not channel.await_finished(worker_gone, AWAIT_FINISHED_SECONDS):
        _finish_unless_finished(finished, worker_id)


def _finish_unless_finished(finished: inflight.Finished, worker_id: str) -> None:
    """The worker did not say it finished our record (it died, let us go, or is stuck): do it here.

    Else pruning would take a job that ran to the end for a dirty exit, and requeue it
    (``DIRTY_EXIT = "requeue"``) or record it as failed. The record goes only if still
    there, so if the worker finished it after all nothing is counted twice; the result
    handed over goes with it, in the same call. One attempt: with Redis away, it stays
    for the worker or for pruning.
    """
    finish = functools.partial(inflight.finish, worker_id, finished.record, finished.failed, result=finished.result)
    reconnect.until_done(finish, "finishing the job", give_up=lambda: True)
    _write_history()


def _write_history() -> None:
    """The history's counts this process holds, written before it ends (one attempt: a chart's count)."""
    reconnect.until_done(history.flush, "writing the history's counts", give_up=lambda: True)


def _abandon(handler: Any) -> None:
    for conn in handler.all(initialized_only=True):
        _inherited.append(conn)
        del handler[conn.alias if hasattr(conn, "alias") else _alias_of(handler, conn)]


def _alias_of(handler: Any, conn: Any) -> str:
    for alias in handler.settings:
        if getattr(handler._connections, alias, None) is conn:
            return alias
    raise LookupError(conn)


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
