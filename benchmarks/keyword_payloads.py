"""What keyword arguments cost a ``.delay()`` and a worker, without Redis, per call.

    .venv/bin/python benchmarks/keyword_payloads.py [CALLS] [ROUNDS]   (default 20000 5)

Keyword arguments travel as a trailing hash that the job's signature tells apart
(``django_resque.arguments``), no longer as a hash flagged by a ``"kwargs":true``
payload key that Ruby drops. This times, in one process and interleaved, building and
encoding a payload both ways (``payload.build`` still writes the flag, for Django
Tasks), the same call without keywords, and reading the arguments back both ways.
"""

from __future__ import annotations

import os
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best_us(call: Callable[[], object], calls: int, rounds: int) -> float:
    return min(timeit.repeat(call, number=calls, repeat=rounds)) / calls * 1e6


def compare(calls: int, rounds: int) -> list[str]:
    from django_resque import job
    from django_resque import payload as codec

    @job(queue="bench", name="bench.keywords")
    def keywords(a: int, b: int, *, scale: int = 1) -> None: ...

    flagged = codec.build(keywords.name, (1, 2), {"scale": 3})
    plain = keywords.payload(1, 2, scale=3)
    sides: dict[str, Callable[[], object]] = {
        "encode, flag key": lambda: codec.build(keywords.name, (1, 2), {"scale": 3}).encode(),
        "encode, signature": lambda: keywords.payload(1, 2, scale=3).encode(),
        "encode, no keywords": lambda: keywords.payload(1, 2).encode(),
        "read, flag key": flagged.call_arguments,
        "read, signature": lambda: keywords.call_arguments(plain),
    }
    return [f"{name:20s} {_best_us(call, calls, rounds):6.2f} µs" for name, call in sides.items()]


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    for line in compare(calls, rounds):
        print(line, flush=True)


if __name__ == "__main__":
    main()
