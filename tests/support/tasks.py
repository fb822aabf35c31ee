"""Django Tasks framework tasks used by the tests (the backend in tests/settings.py is ResqueBackend).

Imported from ``compat`` so the same module runs on Django 6 and the 5.2 backport; an
app would write ``from django.tasks import task``.
"""

from __future__ import annotations

import asyncio

from django_resque.tasks.compat import TaskContext, task


@task()
def noop_task(*args: object, **kwargs: object) -> None:
    return None


@task
def noop_task_from_bare_decorator(*args: object, **kwargs: object) -> None:
    return None


@task()
async def noop_task_async(*args: object, **kwargs: object) -> None:
    return None


@task()
def calculate_meaning_of_life() -> int:
    return 42


@task(queue_name="tasks")
def add_numbers(a: int, b: int, *, scale: int = 1) -> dict[str, int]:
    return {"sum": (a + b) * scale}


@task()
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@task()
def failing_task_value_error() -> None:
    raise ValueError("This task failed due to ValueError")


@task()
def failing_task_system_exit() -> None:
    raise SystemExit("This task failed due to SystemExit")


@task()
def returns_non_json() -> object:
    return object()


@task(takes_context=True)
def get_task_id(context: TaskContext) -> str:
    return context.task_result.id


@task(takes_context=True)
def context_attempt(context: TaskContext) -> dict[str, object]:
    return {"attempt": context.attempt, "status": str(context.task_result.status)}


@task(priority=10)
def urgent_task() -> str:
    return "urgent"
