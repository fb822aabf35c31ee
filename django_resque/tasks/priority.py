"""Task priority -> Resque queue name.

Resque has no per-job priority: a worker takes from its queues strictly in the order
given. So priorities are cut into bands, each band is a queue, and a worker listing the
bands highest first (``worker_queues``) runs higher priorities first. Bands are
``(minimum priority, queue template)`` pairs; the template's ``{queue}`` is the task's
``queue_name``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .compat import TASK_MAX_PRIORITY, TASK_MIN_PRIORITY

# > 0 -> "<queue>-high", 0 -> "<queue>", < 0 -> "<queue>-low".
DEFAULT_BANDS: tuple[tuple[int, str], ...] = ((1, "{queue}-high"), (0, "{queue}"), (TASK_MIN_PRIORITY, "{queue}-low"))


@dataclass(frozen=True)
class PriorityBands:
    """Bands sorted by minimum priority, highest first; the last one starts at TASK_MIN_PRIORITY."""

    bands: tuple[tuple[int, str], ...] = DEFAULT_BANDS

    def queue_for(self, queue_name: str, priority: int) -> str:
        """The Resque queue of a task on ``queue_name`` with ``priority``."""
        for minimum, template in self.bands:
            if priority >= minimum:
                return template.format(queue=queue_name)
        raise ValueError(f"priority {priority!r} is below {TASK_MIN_PRIORITY}")

    def worker_queues(self, queue_names: Iterable[str]) -> list[str]:
        """Every band of every queue, highest band first: the worker's ``--queues`` order."""
        names = list(queue_names)
        ordered: list[str] = []
        for _minimum, template in self.bands:
            for name in names:
                queue = template.format(queue=name)
                if queue not in ordered:
                    ordered.append(queue)
        return ordered


def parse_bands(value: Any, where: str = "OPTIONS['PRIORITY_QUEUES']") -> PriorityBands:
    """Validate a ``[[minimum, template], ...]`` setting; ImproperlyConfigured names what is wrong."""
    if value is None:
        return PriorityBands()
    if not isinstance(value, (list, tuple)) or not value:
        raise ImproperlyConfigured(f"{where} must be a non-empty list of [minimum priority, queue template] pairs.")
    bands = tuple(sorted((_parse_band(item, where) for item in value), reverse=True))
    minimums = [minimum for minimum, _template in bands]
    if len(set(minimums)) != len(minimums):
        raise ImproperlyConfigured(f"{where} has two bands with the same minimum priority: {minimums}.")
    if minimums[-1] != TASK_MIN_PRIORITY:
        raise ImproperlyConfigured(
            f"{where} must have a band starting at {TASK_MIN_PRIORITY}, so every priority has a queue "
            f"(the lowest starts at {minimums[-1]})."
        )
    return PriorityBands(bands)


def _parse_band(item: Any, where: str) -> tuple[int, str]:
    if not isinstance(item, (list, tuple)) or len(item) != 2:
        raise ImproperlyConfigured(f"{where}: each band is a [minimum priority, queue template] pair, got {item!r}.")
    minimum, template = item
    if (
        isinstance(minimum, bool)
        or not isinstance(minimum, int)
        or not TASK_MIN_PRIORITY <= minimum <= TASK_MAX_PRIORITY
    ):
        raise ImproperlyConfigured(
            f"{where}: minimum priority must be a whole number from {TASK_MIN_PRIORITY} to {TASK_MAX_PRIORITY}, "
            f"got {minimum!r}."
        )
    if not isinstance(template, str) or not template:
        raise ImproperlyConfigured(f"{where}: queue template must be a non-empty string, got {template!r}.")
    try:
        template.format(queue="q")
    except (KeyError, IndexError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"{where}: queue template {template!r} may only use the {{queue}} placeholder ({exc!r})."
        ) from exc
    return minimum, template
