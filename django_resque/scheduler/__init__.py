"""The scheduler process: recurring schedules fired, due delayed jobs moved to their queues.

The delayed queue itself is ``django_resque.delayed``; ``django_resque.scheduler.delayed``
is its old, deprecated name.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType

from .. import delayed as _delayed

sys.modules.setdefault(__name__ + ".delayed", _delayed)


def __getattr__(name: str) -> ModuleType:
    if name == "delayed":
        warnings.warn(
            "django_resque.scheduler.delayed is deprecated: use django_resque.delayed", DeprecationWarning, stacklevel=2
        )
        return _delayed
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
