"""Prune dead workers, as Ruby's ``prune_dead_workers``, and recover their jobs.

A worker is dead when its heartbeat is older than PRUNE_INTERVAL, or when it runs on
this host and its pid is no longer a Resque process. Its job is failed as Ruby fails
it: ``Resque::PruneDeadWorkerDirtyExit`` for a stale heartbeat, ``Resque::DirtyExit``
("Job still being processed") for a vanished process; no counter moves. One pruner at
a time, fleet wide (``pruning_dead_workers_in_progress``, SET NX EX 60, as Ruby); the
lock is released once the prune is done (if still ours), so the next worker to look,
Ruby's or ours, a restarted one included, prunes at once instead of a minute later.

A worker prunes when it starts (as Ruby's) and then at its heartbeat ticks; the ticks'
prunes take turns fleet wide (``keys.pruning_turn``, SET NX EX HEARTBEAT_INTERVAL), so
a fleet prunes once per interval, not once per worker per interval (whose cost would
grow with the square of the workers).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from pathlib import Path

from . import conf, keys, scripts
from .connection import get_redis, translate_errors
from .exceptions import DirtyExitError, PruneDeadWorkerDirtyExitError
from .inflight import recover
from .workers import WorkerInfo, all_workers, parse_id, unregister_keys

logger = logging.getLogger(__name__)

LOCK_SECONDS = 60
# Ruby's test on `ps` output: our titles ("resque-0.1.0: ...") match it too.
RESQUE_TITLE = re.compile(rb"resque:work|resque:\sStarting|resque-[0-9]")


def prune_dead_workers(worker_id: str, queues: list[str], *, periodic: bool = False) -> list[str]:
    """Prune dead workers unless another worker is doing it (or, ``periodic``, did this interval)."""
    with translate_errors():
        if periodic and not get_redis().set(keys.pruning_turn(), worker_id, nx=True, ex=_interval()):
            return []
        if not get_redis().set(keys.pruning_lock(), worker_id, nx=True, ex=LOCK_SECONDS):
            return []
    try:
        return _prune_dead(worker_id, queues)
    finally:
        scripts.run(scripts.RELEASE_LOCK, [keys.pruning_lock()], [worker_id])


def _prune_dead(worker_id: str, queues: list[str]) -> list[str]:
    pruned = []
    for info in all_workers():
        if info.id != worker_id and _is_dead(info, queues):
            prune(info.id, _exit_error(info))
            pruned.append(info.id)
    return pruned


def _interval() -> int:
    return max(1, int(conf.get("HEARTBEAT_INTERVAL")))


def prune(worker_id: str, error: DirtyExitError | None = None) -> None:
    """Unregister ``worker_id``, first failing (or requeuing, per DIRTY_EXIT) its job."""
    left = recover(worker_id, error or DirtyExitError("Job still being processed"), allow_requeue=True)
    unregister_keys(worker_id)
    logger.warning("Pruned worker %s%s", worker_id, " holding %s" % left.name if left else "")


def is_resque_process(pid: int) -> bool:
    """Whether ``pid`` runs and (where /proc says) carries a Resque process title."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return bool(RESQUE_TITLE.search(cmdline.read_bytes()))
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True


def _is_dead(info: WorkerInfo, queues: list[str]) -> bool:
    if info.is_stale:
        return True
    host, pid, worker_queues = parse_id(info.id)
    if host != socket.gethostname():
        return False
    if "*" not in queues and set(worker_queues) != set(queues):
        return False  # as Ruby: leave same-host workers of other queue sets alone
    return not is_resque_process(pid)


def _exit_error(info: WorkerInfo) -> DirtyExitError:
    """Ruby's error for the job of a dead worker: by heartbeat, or by process on this host."""
    if not info.is_stale:
        return DirtyExitError("Job still being processed")
    payload = (info.job or {}).get("payload")
    name = payload.get("class") if isinstance(payload, dict) else None
    if info.job is not None and "raw" in info.job and "payload" not in info.job:
        name = "<unreadable>"  # the record could not be decoded: its text goes to the failure record
    return PruneDeadWorkerDirtyExitError(
        "Worker %s did not gracefully exit while processing %s" % (info.id, name or "<Unknown Job>")
    )
