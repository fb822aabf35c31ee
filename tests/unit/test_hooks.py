"""Job-level hooks of class jobs: discovery by prefix, order, DontPerform, on_failure."""

from __future__ import annotations

import json

import pytest

from django_resque import hooks, registry
from django_resque.payload import Payload
from tests.support import jobs
from tests.support.jobs import DONE_KEY


def _notes(client) -> list[object]:
    return [json.loads(raw) for raw in client.lrange(DONE_KEY, 0, -1)]


def test_hooks_found_by_prefix_sorted_and_only_on_classes():
    names = [hook.__name__ for hook in hooks.job_hooks(jobs.Hooked, "before_perform")]
    assert names == ["before_perform_a", "before_perform_b"]
    assert hooks.job_hooks(jobs.remember.perform, "before_perform") == []


def test_order_before_around_perform_after(fake_redis):
    job = registry.lookup("tests.support.jobs.Hooked")
    assert hooks.perform(job, Payload(job.name, ["ok"])) is not hooks.SKIPPED
    assert _notes(fake_redis) == [
        "before_a",
        "before_b",
        "around_a_in",
        "around_b_in",
        "perform",
        "around_b_out",
        "around_a_out",
        "after_a",
    ]


def test_failure_skips_after_hooks_and_failure_hooks_get_the_exception(fake_redis):
    job = registry.lookup("tests.support.jobs.Hooked")
    payload = Payload(job.name, ["fail"])
    with pytest.raises(jobs.Boom) as caught:
        hooks.perform(job, payload)
    hooks.run_failure_hooks(job, payload, caught.value)
    assert _notes(fake_redis)[-1] == "on_failure_a:Boom"
    assert "after_a" not in _notes(fake_redis)


def test_dont_perform_skips_the_job(fake_redis):
    job = registry.lookup("tests.support.jobs.Skipped")
    assert hooks.perform(job, Payload(job.name, [])) is hooks.SKIPPED
    assert _notes(fake_redis) == []
