"""What the decoding boundary costs beside plain ``json.loads``, per value.

    .venv/bin/python benchmarks/decoding_cost.py [ROUNDS]   (default 7)

Times, interleaved round by round so machine load hits both alike, the best per-call
time of ``json.loads`` and of ``django_resque.decoding.loads`` on: a typical payload, a
worker record, a 1.5 MB payload of 100,000 small lists (the slow path: strings cut out,
brackets counted), and how long refusing a payload nested 990 and 500,000 deep takes
(``json.loads`` raises RecursionError on the first on Python 3.11 and cannot be timed).
"""

from __future__ import annotations

import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django_resque import decoding
from django_resque.exceptions import UndecodableError

PAYLOAD = b'{"class":"shop.jobs.send_welcome_mail","args":[42,{"locale":"en","retry":[1,2]}]}'
RECORD = b'{"queue":"mail","run_at":"2026-12-03T08:00:00Z","payload":' + PAYLOAD + b"}"
BIG = json.dumps({"class": "x", "args": [[n, n + 1] for n in range(100_000)]}).encode()
DEEP = b"[" * 990 + b"]" * 990
VERY_DEEP = b"[" * 500_000 + b"]" * 500_000


def best(call: Callable[[], object], number: int, rounds: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=rounds)) / number


def refused(raw: bytes) -> Callable[[], None]:
    def call() -> None:
        try:
            decoding.loads(raw)
        except UndecodableError:
            return
        raise AssertionError("not refused")

    return call


def main(rounds: int) -> None:
    cases = [("payload", PAYLOAD, 20_000), ("worker record", RECORD, 20_000), ("1.5 MB, 100k lists", BIG, 3)]
    for name, raw, number in cases:
        plain = ours = float("inf")
        for _ in range(rounds):
            plain = min(plain, best(lambda raw=raw: json.loads(raw), number, 1))
            ours = min(ours, best(lambda raw=raw: decoding.loads(raw), number, 1))
        print(
            f"{name:<20} json.loads {plain * 1e6:10.2f} us   decoding.loads {ours * 1e6:10.2f} us   {ours / plain:.2f}x"
        )
    for name, raw, number in (("990 deep", DEEP, 200), ("500,000 deep", VERY_DEEP, 3)):
        print(f"{name:<20} refused in {best(refused(raw), number, rounds) * 1e6:10.2f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
