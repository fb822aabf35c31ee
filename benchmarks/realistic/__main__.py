"""``python -m benchmarks.realistic [--runs 3] [--kinds redis mix] [--workers fork ruby-fork] ...``.

Builds ``benchmarks/.venv-jobs`` from requirements-jobs.txt (first time, or when the
file changed) and runs ``bench.py`` in it. See docs/benchmarks.md.
"""

from __future__ import annotations

import os
import sys

from .. import peers_env


def main() -> None:
    python = peers_env.ensure(peers_env.JOBS_VENV, peers_env.JOBS_REQUIREMENTS)
    if os.path.realpath(sys.prefix) != os.path.realpath(peers_env.JOBS_VENV):
        root = str(peers_env.HERE.parent)
        env = {**os.environ, "PYTHONPATH": root}
        os.execve(str(python), [str(python), "-m", "benchmarks.realistic", *sys.argv[1:]], env)
    from .bench import main as run

    sys.exit(run())


if __name__ == "__main__":
    main()
