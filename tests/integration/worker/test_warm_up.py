"""A real worker warms up once: its job processes (from its fork server or itself) do not read it again."""

from __future__ import annotations

import json

import pytest

from tests.support import jobs

from .conftest import done, wait_until


@pytest.mark.parametrize("mode", [(), ("--no-fork-server",), ("--no-prefork",), ("--workers", "2")])
def test_job_processes_of_a_warmed_worker_do_not_read_again_what_it_read(real_redis, start_worker, monkeypatch, mode):
    monkeypatch.setenv("RESQUE_TEST_SETTINGS", json.dumps({"WARM_UP": ["tests.support.warm.remember_pid"]}))
    worker = start_worker("--queues", "test", *mode)
    for _ in range(2):
        jobs.report_warmth.delay()
    notes = wait_until(
        lambda: len(done(real_redis)) == 2 and done(real_redis), what=f"two reports; log:\n{worker.output()}"
    )
    for note in notes:
        assert note["pid"] != worker.pid  # each in its own job process
        # The application's step ran once, in the process started: the worker, or the supervisor of two.
        assert note["warmed_by"] == [worker.pid]
        assert (note["metadata_reads"], note["template_loads"], note["catalog_loads"]) == (0, 0, 0)
