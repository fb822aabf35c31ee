"""Exactly-once runs of recurring schedules.

Each schedule's last handled run (epoch) is kept in ``schedule_last_run``. Firing a
run pushes the job and advances the last run in one script, compare-and-set on the
old value, so two schedulers, a restart or a failover can never fire a run twice.

Runs still on time after a short gap (a failover, a Redis restart) fire one by one,
oldest first. Missed runs (the scheduler was down, paused or lost its lock) follow the schedule's
``missed`` policy: ``run_once`` (default) fires one run now for all of them; ``skip``
fires nothing until the next run. A run found more than ``ON_TIME_WITHIN`` seconds
after its time counts as missed. Both cases are logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from .. import conf, keys
from .. import queue as queue_api
from ..connection import get_redis, translate_errors
from ..decoding import to_epoch, to_int, to_text
from ..exceptions import InvalidScheduleError
from . import dynamic, scripts
from .schedule import RUN_ONCE, Entry, parse

logger = logging.getLogger(__name__)

ON_TIME_WITHIN = 60  # seconds
_COUNT_CAP = 1000  # missed runs counted one by one up to this many


@dataclass(frozen=True)
class Plan:
    """What to do about a due schedule: advance its last run to ``run``, and fire or not."""

    run: int
    fire: bool
    missed: int


@dataclass(frozen=True)
class ScheduleStatus:
    """A schedule as the admin shows it. ``entry`` is None (and ``error`` set) when invalid."""

    name: str
    config: dict
    entry: Entry | None
    error: str
    last_run: dt.datetime | None
    next_run: dt.datetime | None


def last_runs(*, drop_unreadable: bool = False) -> dict[str, int]:
    """Each schedule's last handled run; a value that is not an epoch is left out.

    The scheduler passes ``drop_unreadable``: such a value is removed, with a warning
    naming it, and its schedule is baselined afresh, as one seen for the first time.
    """
    with translate_errors():
        stored = get_redis().hgetall(keys.schedule_last_run())
    runs = {}
    for raw_name, raw_value in stored.items():
        value = to_int(raw_value, None)
        if value is not None and value >= 0:
            runs[to_text(raw_name)] = value
        elif drop_unreadable:
            logger.warning("Removed %r from %s: not an epoch", raw_value, keys.schedule_last_run())
            with translate_errors():
                get_redis().hdel(keys.schedule_last_run(), raw_name)
    return runs


def plan(entry: Entry, last: int, now: float) -> Plan | None:
    """The action due at ``now`` given the last handled run, or None if nothing is due."""
    first_due = entry.rule.next_after(last)
    if first_due > now:
        return None
    if now - first_due <= ON_TIME_WITHIN:
        return Plan(run=first_due, fire=True, missed=0)  # on time: each run fires, oldest first
    latest = max(entry.rule.latest_at_or_before(now) or first_due, first_due)
    late = now - latest > ON_TIME_WITHIN
    missed = _count_between(entry, first_due, latest) + (1 if late else 0)
    return Plan(run=latest, fire=entry.missed == RUN_ONCE or not late, missed=missed)


def handle(entry: Entry, last: int | None, now: float) -> bool:
    """Fire ``entry`` if due (baselining a schedule seen for the first time); True if pushed."""
    if last is None:
        with translate_errors():
            get_redis().hsetnx(keys.schedule_last_run(), entry.name, int(now))
        return False
    pushed = False
    while (action := plan(entry, last, now)) is not None:  # after a short gap, catch up run by run
        if not fire(entry, last, action):
            logger.info("Schedule %r: run %d was already handled by another scheduler", entry.name, action.run)
            return pushed
        _log(entry, last, action)
        pushed, last = pushed or action.fire, action.run
    return pushed


def fire(entry: Entry, expected_last: int | None, action: Plan) -> bool:
    """Advance the last run from ``expected_last`` and push (unless skipped), atomically."""
    payload = entry.payload().encode() if action.fire else ""
    done = scripts.run(
        scripts.FIRE_SCHEDULE,
        [keys.schedule_last_run(), keys.queues(), keys.queue(entry.queue), keys.last_enqueued_at()],
        [
            entry.name,
            "" if expected_last is None else expected_last,
            action.run,
            entry.queue,
            payload,
            ruby_now(),
            keys.wake_channel(),
        ],
    )
    return bool(done)


def ruby_now() -> str:
    """The time now as Ruby's ``Time.now.to_s`` (``2026-11-22 13:09:08 +0000``), local time."""
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def run_now(name: str) -> Entry:
    """Push a schedule's job now (the admin's "run now"); its regular runs are unchanged."""
    entry = load_entry(name)
    queue_api.push(entry.queue, entry.payload())
    logger.info("Schedule %r run by hand on queue %s", name, entry.queue)
    return entry


def load_entry(name: str) -> Entry:
    config = dynamic.get_schedule(name)
    if config is None:
        raise InvalidScheduleError(f"No schedule named {name!r}.")
    return parse(name, config, dynamic=name not in conf.get("SCHEDULE"))


def status(now: float) -> list[ScheduleStatus]:
    """Every schedule with its last and next run, sorted by name (for the admin)."""
    runs = last_runs()
    result = []
    for name, config in sorted(dynamic.all_schedules().items()):
        try:
            entry = parse(name, config)
        except InvalidScheduleError as exc:
            result.append(ScheduleStatus(name, config, None, str(exc), _datetime(runs.get(name)), None))
            continue
        next_run = entry.rule.next_after(runs.get(name, now))
        result.append(
            ScheduleStatus(name, config, entry, "", _datetime(_ran_at(entry, runs.get(name))), _datetime(next_run))
        )
    return result


def _ran_at(entry: Entry, last: int | None) -> int | None:
    """The stored last run if it is a run of the rule; None for the baseline a scheduler
    records when it first sees a schedule (the time it looked, not a run)."""
    if last is None or entry.rule.latest_at_or_before(last) != last:
        return None
    return last


def _count_between(entry: Entry, first: int, latest: int) -> int:
    """Runs from ``first`` up to, not including, ``latest`` (capped)."""
    count, moment = 0, first
    while moment < latest and count < _COUNT_CAP:
        count += 1
        moment = entry.rule.next_after(moment)
    return count


def _log(entry: Entry, last: int, action: Plan) -> None:
    if not action.missed:
        logger.info("Schedule %r fired for %s on queue %s", entry.name, _datetime(action.run), entry.queue)
        return
    more = "+" if action.missed >= _COUNT_CAP else ""
    outcome = "running once now" if action.fire else "skipped (missed: skip)"
    logger.warning(
        "Schedule %r: %d%s run(s) missed since %s; %s", entry.name, action.missed, more, _datetime(last), outcome
    )


def _datetime(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else to_epoch(epoch)
