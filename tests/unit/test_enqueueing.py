"""enqueueing.py: what enqueueing does with a job (most of it is tested through Job's API in test_job.py)."""

import gc

import pytest

import django_resque
from django_resque import enqueueing
from tests.support import jobs


@pytest.mark.parametrize("enabled", [True, False])
def test_a_bulk_enqueue_pauses_garbage_collection_and_restores_it(fake_redis, monkeypatch, enabled):
    seen = []
    push = enqueueing.queue_api.push_many_encoded
    monkeypatch.setattr(
        enqueueing.queue_api, "push_many_encoded", lambda encoded: (seen.append(gc.isenabled()), push(encoded))[1]
    )
    (gc.enable if enabled else gc.disable)()
    try:
        handles = django_resque.enqueue_many([(jobs.add, (n, 1)) for n in range(3)])
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [False] and len(handles) == 3 and fake_redis.llen("resque:queue:test") == 3
