"""``manage.py resque_info | head -3``: when the reader of stdout leaves, stop without a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def quiet_when_the_reader_leaves(handle: F) -> F:
    """Wrap a command's ``handle``: a closed stdout pipe ends it quietly, as ``head`` expects.

    Output is flushed inside the wrapper, so a broken pipe is seen here and not at
    interpreter exit; stdout is then pointed at /dev/null (Python's own advice), so the
    final flush cannot fail again.
    """

    @functools.wraps(handle)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = handle(*args, **kwargs)
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(141) from None  # 128 + SIGPIPE, what a shell tool reports
        return result

    return wrapper  # type: ignore[return-value]
