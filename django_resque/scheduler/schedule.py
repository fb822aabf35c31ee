"""Recurring schedule entries: parsed and checked from resque-scheduler's config shape.

``{"cron": "30 2 * * *" | "every": "10m", "class": "JobName", "queue": ..., "args": [...],
"description": ..., "timezone": "Europe/Berlin", "missed": "run_once" | "skip"}``.
Only registered jobs can be scheduled; an error names the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import conf, registry
from ..exceptions import InvalidScheduleError, JobArgumentError, UnknownJobError
from ..handle import new_id
from ..payload import Payload, build
from . import timing
from .timing import Rule

RUN_ONCE, SKIP = "run_once", "skip"
MISSED_POLICIES = (RUN_ONCE, SKIP)
KNOWN_KEYS = frozenset(
    {"cron", "every", "class", "job", "queue", "args", "description", "timezone", "tz", "missed", "persist"}
)


@dataclass(frozen=True)
class Entry:
    """One recurring schedule, ready to run."""

    name: str
    rule: Rule
    job_name: str
    queue: str
    args: list[Any]
    description: str = ""
    missed: str = RUN_ONCE
    dynamic: bool = False
    config: dict[str, Any] = field(default_factory=dict, compare=False)

    def payload(self) -> Payload:
        """The payload of one run, with a new job id: each run can be followed (``fetch(id)``)."""
        return build(self.job_name, self.args, job_id=new_id())


def parse(name: str, config: Any, *, dynamic: bool = False) -> Entry:
    """An Entry from a config dict, or InvalidScheduleError naming the schedule and the problem."""
    if not isinstance(name, str) or not name:
        raise InvalidScheduleError(f"Schedule name must be a non-empty string, got {name!r}.")
    try:
        return _parse(name, config, dynamic)
    except (ValueError, TypeError, UnknownJobError) as exc:
        raise InvalidScheduleError(f"Schedule {name!r}: {exc}") from exc


def problems(name: str, config: Any) -> list[str]:
    """Every problem of one entry, each naming the schedule (``parse`` stops at the first)."""
    if not isinstance(config, dict):
        return [f"Schedule {name!r}: config must be a dict, got {config!r}"]
    found = []
    for check in (_check_keys, _job_and_queue, _rule, lambda c: _missed(c.get("missed", RUN_ONCE))):
        try:
            check(config)
        except (ValueError, TypeError, UnknownJobError) as exc:
            found.append(f"Schedule {name!r}: {exc}")
    if not found:  # what the parts alone do not show (the arguments)
        try:
            parse(name, config)
        except InvalidScheduleError as exc:
            found.append(str(exc))
    return found


def from_settings() -> dict[str, Entry]:
    """Every entry of RESQUE['SCHEDULE'], checked; the first bad one raises."""
    return {name: parse(name, config) for name, config in conf.get("SCHEDULE").items()}


def _parse(name: str, config: Any, dynamic: bool) -> Entry:
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {config!r}")
    _check_keys(config)
    job_name, queue = _job_and_queue(config)
    args = _args(config.get("args"))
    entry = Entry(
        name=name,
        rule=_rule(config),
        job_name=job_name,
        queue=queue,
        args=args,
        description=str(config.get("description") or ""),
        missed=_missed(config.get("missed", RUN_ONCE)),
        dynamic=dynamic,
        config=dict(config),
    )
    try:
        entry.payload()
    except JobArgumentError as exc:
        raise ValueError(f"'args': {exc}") from exc
    return entry


def _check_keys(config: dict[str, Any]) -> None:
    unknown = sorted(set(config) - KNOWN_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}")


def _job_and_queue(config: dict[str, Any]) -> tuple[str, str]:
    """The registered job's name and the queue (the entry's, else the job's)."""
    job_name = _job_name(config)
    queue = config.get("queue") or registry.lookup(job_name).queue
    if not isinstance(queue, str):
        raise TypeError(f"'queue' must be a string, got {queue!r}")
    return job_name, queue


def _job_name(config: dict[str, Any]) -> str:
    names = [config[key] for key in ("class", "job") if config.get(key)]
    if len(names) != 1 or not isinstance(names[0], str):
        raise ValueError("give exactly one of 'class' or 'job': the name of a registered @job")
    return names[0]


def _rule(config: dict[str, Any]) -> Rule:
    has_cron, has_every = bool(config.get("cron")), bool(config.get("every"))
    if has_cron == has_every:
        raise ValueError("give exactly one of 'cron' (e.g. '30 2 * * *') or 'every' (e.g. '10m')")
    tz = config.get("timezone") or config.get("tz")
    if has_cron:
        return timing.parse_cron(config["cron"], tz)
    if tz:
        raise ValueError("'timezone' applies to 'cron' only; 'every' counts from the Unix epoch")
    every = config["every"]
    if isinstance(every, list) and every:  # resque-scheduler's ["1h", {options}]
        if len(every) > 1 and every[1]:
            raise ValueError(f"'every' options are not supported: {every[1]!r}")
        every = every[0]
    return timing.Every(timing.parse_duration(every))


def _args(args: Any) -> list[Any]:
    """As resque-scheduler: missing -> [], a list as is, anything else -> [it]."""
    if args is None:
        return []
    return list(args) if isinstance(args, list) else [args]


def _missed(policy: Any) -> str:
    if policy not in MISSED_POLICIES:
        raise ValueError(f"'missed' must be one of {', '.join(MISSED_POLICIES)}, got {policy!r}")
    return policy
