"""What the benchmark measures: every case, its bounds, and the targets from issue 7."""

from __future__ import annotations

from dataclasses import dataclass

PEER_SIDES = ("rq", "django-rq", "celery", "huey")


@dataclass(frozen=True)
class Case:
    """One row of the table: a probe run ``runs`` times, bounded in count and seconds."""

    key: str
    group: str
    label: str
    side: str
    measure: str
    mode: str = ""
    kind: str = "noop"
    count: int = 1000
    seconds: float = 2.0
    checkpoints: str = ""
    versus: str = ""  # for a peer or ceiling row: the key of our row it is compared with

    @property
    def is_peer(self) -> bool:
        return self.side in PEER_SIDES

    def probe_args(self) -> list[str]:
        args = [self.side, self.measure, "--count", str(self.count), "--seconds", str(self.seconds)]
        if self.mode:
            args += ["--mode", self.mode]
        if self.measure == "process":
            args += ["--kind", self.kind]
        if self.checkpoints:
            args += ["--checkpoints", self.checkpoints]
        return args


@dataclass(frozen=True)
class Target:
    """``ours`` metric >= ``factor`` x ``other`` metric (or <= a bound when ``other`` is None)."""

    text: str
    ours: str
    other: str | None
    factor: float
    metric: str = "rate"
    at_most: bool = False


OUR_MODES = ("fork", "fork-no-fork-server", "fork-no-prefork", "jobs-per-fork-100", "no-fork", "workers-2")
RSS_MODES = ("fork", "jobs-per-fork-100", "no-fork", "workers-2")
RSS_SECONDS = 100.0
# (side, mode, label, our mode it is compared with)
PEER_WORKERS = (
    ("rq", "fork", "RQ Worker (fork)", "fork"),
    ("rq", "simple", "RQ SimpleWorker", "no-fork"),
    ("celery", "solo", "Celery --pool=solo", "no-fork"),
    ("celery", "prefork-2", "Celery prefork -c 2", "workers-2"),
    ("huey", "thread", "Huey consumer -k thread -w 1", "no-fork"),
)
# What our default verbosity costs: two log lines per job (every other row logs warnings only).
LOGGING_MODE = "no-fork-v1"
OUR_LABELS = {
    "fork": "ours: fork per job (default)",
    "fork-no-fork-server": "ours: fork per job, --no-fork-server",
    "fork-no-prefork": "ours: fork per job, --no-prefork",
    "jobs-per-fork-100": "ours: --jobs-per-fork 100",
    "no-fork": "ours: --no-fork",
    "workers-2": "ours: --workers 2",
    LOGGING_MODE: "ours: --no-fork -v 1 (a log line per job start and end)",
}


def all_cases(quick: bool) -> list[Case]:
    """Every case, with smaller counts and windows in quick mode."""
    return [
        *enqueue_cases(quick),
        *commit_cases(quick),
        *processing_cases(quick),
        *latency_cases(quick),
        *rss_cases(quick),
    ]


def commit_cases(quick: bool) -> list[Case]:
    """A transaction that enqueues 10 jobs to be pushed at commit (issue 17): jobs/s."""
    count, seconds = (20_000, 0.7) if quick else (100_000, 2.0)
    rows = [
        ("ours-commit-10", "ours: 10 job.on_commit() in one transaction", "ours", ""),
        (
            "django-rq-commit-10",
            "django-rq on_db_commit: 10 enqueue() in one transaction",
            "django-rq",
            "ours-commit-10",
        ),
        ("celery-commit-10", "Celery: 10 delay_on_commit() in one transaction", "celery", "ours-commit-10"),
    ]
    return [
        Case(key, "on_commit", label, side, "commit_10", count=count, seconds=seconds, versus=versus)
        for key, label, side, versus in rows
    ]


def enqueue_cases(quick: bool) -> list[Case]:
    one, bulk, seconds = (20_000, 100_000, 0.7) if quick else (100_000, 400_000, 2.0)
    rows = [
        ("ours-delay", "ours: .delay()", "ours", "enqueue_delay", one, ""),
        ("ours-enqueue-many", "ours: enqueue_many (1000/call)", "ours", "enqueue_many", bulk, ""),
        ("redis-rpush", "redis-py: RPUSH, 1 per round trip", "redis", "rpush", one, "ours-delay"),
        (
            "redis-rpush-pipelined",
            "redis-py: pipelined RPUSH (1000)",
            "redis",
            "rpush_pipelined",
            bulk,
            "ours-enqueue-many",
        ),
        ("rq-enqueue", "RQ Queue.enqueue", "rq", "enqueue", one, "ours-delay"),
        ("rq-enqueue-many", "RQ Queue.enqueue_many (1000/call)", "rq", "enqueue_many", bulk, "ours-enqueue-many"),
        ("django-rq-enqueue", "django-rq get_queue().enqueue", "django-rq", "enqueue", one, "ours-delay"),
        ("huey-enqueue", "Huey task()", "huey", "enqueue", one, "ours-delay"),
        ("celery-delay", "Celery task.delay()", "celery", "enqueue", one, "ours-delay"),
    ]
    cases = [
        Case(key, "enqueue", label, side, measure, count=n, seconds=seconds, versus=versus)
        for key, label, side, measure, n, versus in rows
    ]
    label = "fork()+_exit+waitpid, Django set up"
    floor = Case(
        "fork-floor", "fork", label, "ours", "fork_floor", count=20_000, seconds=seconds, versus="ours-fork-noop"
    )
    return [*cases, floor]


def processing_cases(quick: bool) -> list[Case]:
    """Pre-enqueued jobs, one worker; counts sized so each run lasts a few seconds at most."""
    scale, seconds = (0.1, 1.5) if quick else (1.0, 3.0)
    counts = {
        "fork": 2000,
        "fork-no-fork-server": 2000,
        "fork-no-prefork": 2000,
        "jobs-per-fork-100": 10_000,
        "no-fork": 10_000,
        "workers-2": 4000,
    }
    counts[LOGGING_MODE] = counts["no-fork"]
    counts |= {"rq:fork": 300, "rq:simple": 1500, "celery:solo": 4000, "celery:prefork-2": 4000, "huey:thread": 8000}
    cases = []
    for kind, group in (("noop", "process no-op"), ("sleep_1ms", "process 1 ms")):
        divisor = 1 if kind == "noop" else 3
        for mode in (*OUR_MODES, LOGGING_MODE) if kind == "noop" else OUR_MODES:
            n = max(100, int(counts[mode] * scale / divisor))
            cases.append(
                Case(f"ours-{mode}-{kind}", group, OUR_LABELS[mode], "ours", "process", mode, kind, n, seconds)
            )
        for side, mode, label, ours in PEER_WORKERS:
            n = max(100, int(counts[f"{side}:{mode}"] * scale / divisor))
            versus = f"ours-{ours}-{kind}"
            cases.append(
                Case(f"{side}-{mode}-{kind}", group, label, side, "process", mode, kind, n, seconds, versus=versus)
            )
    return cases


def latency_cases(quick: bool) -> list[Case]:
    samples, seconds = (20, 5.0) if quick else (40, 15.0)
    cases = [
        Case(
            f"ours-{mode}-latency", "latency", OUR_LABELS[mode], "ours", "latency", mode, count=samples, seconds=seconds
        )
        for mode in OUR_MODES
    ]
    for side, mode, label, ours in PEER_WORKERS:
        versus = f"ours-{ours}-latency"
        cases.append(
            Case(
                f"{side}-{mode}-latency",
                "latency",
                label,
                side,
                "latency",
                mode,
                count=samples,
                seconds=seconds,
                versus=versus,
            )
        )
    return cases


def rss_cases(quick: bool) -> list[Case]:
    """RSS after 1k and 20k jobs (100 and 1k in quick mode), each bounded in time.

    The bound leaves a fork-per-job worker time for 20k jobs at ~250 jobs/s; these
    cases run once, not once per round (the figure is a count, not a rate).
    """
    checkpoints, seconds = ("100,1000", 10.0) if quick else ("1000,20000", RSS_SECONDS)
    return [
        Case(f"ours-{mode}-rss", "rss", OUR_LABELS[mode], "ours", "rss", mode, checkpoints=checkpoints, seconds=seconds)
        for mode in RSS_MODES
    ]


TARGETS = [
    Target(".delay() >= 4x RQ Queue.enqueue", "ours-delay", "rq-enqueue", 4),
    Target(".delay() >= Huey enqueue", "ours-delay", "huey-enqueue", 1),
    Target(".delay() >= 80% of one-RPUSH ceiling", "ours-delay", "redis-rpush", 0.8),
    Target("enqueue_many >= 10x RQ enqueue_many", "ours-enqueue-many", "rq-enqueue-many", 10),
    Target("enqueue_many >= 80% of pipelined RPUSH", "ours-enqueue-many", "redis-rpush-pipelined", 0.8),
    Target("fork per job >= 5x RQ forking Worker", "ours-fork-noop", "rq-fork-noop", 5),
    Target("fork per job >= 70% of the fork floor", "ours-fork-noop", "fork-floor", 0.7),
    Target("--jobs-per-fork 100 >= 1,500 jobs/s", "ours-jobs-per-fork-100-noop", None, 1500),
    Target("--no-fork >= Huey thread consumer", "ours-no-fork-noop", "huey-thread-noop", 1),
    Target("--no-fork >= 3x Celery solo", "ours-no-fork-noop", "celery-solo-noop", 3),
    Target("idle latency p50, fork <= 5 ms", "ours-fork-latency", None, 5, "p50", at_most=True),
    Target("idle latency p50, no-fork <= 1.5 ms", "ours-no-fork-latency", None, 1.5, "p50", at_most=True),
    *[
        Target(f"RSS growth over jobs, {mode} <= 1 MiB", f"ours-{mode}-rss", None, 1024, "growth_kib", at_most=True)
        for mode in RSS_MODES
    ],
]
