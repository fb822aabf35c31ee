"""The workers admin page against a real ``resque_work`` process and a real Redis."""

from __future__ import annotations

import signal

from django.urls import reverse

from tests.support.jobs import sleepy

from .conftest import wait_until

URL = "admin:django_resque_worker_changelist"


def _rows(client):
    return {row.cells[1].text: [cell.text for cell in row.cells] for row in client.get(reverse(URL)).context["rows"]}


def test_a_real_worker_shows_idle_then_working_then_leaves(admin_client, start_worker):
    worker = start_worker("--queues", "test")
    idle = wait_until(lambda: _rows(admin_client).get(worker.pid), what="the worker on the page")
    assert idle[2] == "test" and idle[3] == "idle" and "(stale)" not in idle[8]

    sleepy.delay(3, "admin")
    working = wait_until(
        lambda: (row := _rows(admin_client).get(worker.pid)) and row[3] == "working" and row,
        what="the worker to be working",
    )
    assert working[4].startswith("tests.support.jobs.sleepy [3,")
    assert working[5].endswith("Z")  # run_at of the current job

    worker.signal(signal.SIGQUIT)
    worker.wait()
    assert worker.pid not in _rows(admin_client)
