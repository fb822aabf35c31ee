"""``python -m benchmarks run [--quick] [--no-peers] [--only TEXT] [--runs N] [--json PATH]``.

Starts one private redis-server, installs the peers into ``benchmarks/.venv-peers``
(first time, or when requirements.txt changed), runs every case against that one
server, prints Markdown tables and writes everything as JSON. ``setup`` installs the
peers only. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from django_resque.testing import RedisServer

from . import machine, peers_env, report
from .cases import Case, all_cases
from .runner import ROOT, CaseResult, run_cases

DEFAULT_JSON = Path("benchmarks/results/latest.json")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    options = _parser().parse_args(argv)
    if options.command == "setup":
        peers_env.ensure()
        return 0
    return run(options)


def run(options: argparse.Namespace) -> int:
    started = time.monotonic()
    cases = select(all_cases(options.quick), options.only, options.no_peers)
    if not cases:
        sys.stderr.write("No case matches --only %s\n" % " ".join(options.only))
        return 2
    peers_python = None if options.no_peers else str(peers_env.ensure())
    runs = options.runs or (1 if options.quick else 3)
    path = options.json if options.json.is_absolute() else ROOT / options.json
    with RedisServer() as server:
        context = _context(server.url, peers_python, options, runs)

        def save(results: list[CaseResult], complete: bool = False) -> dict[str, object]:
            context["elapsed_seconds"] = time.monotonic() - started
            context["complete"] = complete
            return _write(path, report.build(results, context))

        results = run_cases(cases, server.url, runs, lambda case: _python(case, peers_python), _progress, save)
    document = save(results, complete=True)
    print(report.render(document))
    print(f"\nJSON: {options.json}")
    return 1 if any(result.errors and not result.runs for result in results) else 0


def _write(path: Path, document: dict[str, object]) -> dict[str, object]:
    """Write the results so far (after every run: an interrupted run keeps what it measured)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)
    return document


def select(cases: list[Case], only: list[str], no_peers: bool) -> list[Case]:
    """Cases whose key or group contains one of ``only`` (all when empty); peers dropped if asked."""
    chosen = [case for case in cases if not (no_peers and case.is_peer)]
    if only:
        chosen = [case for case in chosen if any(text in case.key or text in case.group for text in only)]
    return chosen


def _python(case: Case, peers_python: str | None) -> str:
    if case.is_peer:
        if peers_python is None:
            raise RuntimeError(f"{case.key} needs the peers' virtualenv")
        return peers_python
    return sys.executable


def _context(url: str, peers_python: str | None, options: argparse.Namespace, runs: int) -> dict[str, object]:
    versions: dict[str, object] = {"redis-server": machine.redis_server_version(url), "ours": machine.our_versions()}
    if peers_python:
        versions["peers"] = machine.peer_versions(peers_python)
    mode = "quick" if options.quick else "full"
    return {"machine": machine.describe_machine(), "versions": versions, "mode": mode, "runs": runs}


def _progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="install the peers into benchmarks/.venv-peers")
    run_parser = sub.add_parser("run", help="run the benchmarks and print the table")
    run_parser.add_argument("--quick", action="store_true", help="small counts, one run each (about a minute)")
    run_parser.add_argument("--no-peers", action="store_true", help="our side and the ceilings only")
    run_parser.add_argument("--only", nargs="*", default=[], help="run cases whose key or group contains TEXT")
    run_parser.add_argument("--runs", type=int, default=0, help="runs per case (default 3, quick 1)")
    run_parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results")
    return parser


if __name__ == "__main__":
    sys.exit(main())
