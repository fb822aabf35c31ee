"""``--workers N``: the one-line pool (see ``pool``): N workers on the command line's queues.

The pool manager's code, with the stopping signals ``--workers`` always had: QUIT,
TERM and INT go to every worker as they are, and the manager exits once they all
have. HUP restores the shape of the command line (after WINCH, TTIN or TTOU).
"""

from __future__ import annotations

from .pool import Pool, forwarding_stops
from .worker import WorkerOptions


def supervise(options: WorkerOptions, count: int) -> None:
    """Run ``count`` workers until told to stop."""
    lines = {",".join(options.queues): count}
    Pool(options, lambda: lines, forwarding_stops()).run()
