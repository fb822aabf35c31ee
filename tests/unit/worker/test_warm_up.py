"""Warm-up: what a job process would build on first use is built once in the worker, nothing connected."""

from __future__ import annotations

import json
import logging
import os
import socket

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.signals import connection_created
from django.template import engines
from django.utils.translation import trans_real
from redis import utils as redis_utils

from django_resque import arguments, conf
from django_resque.exceptions import WarmUpError
from django_resque.worker import warm_up
from django_resque.worker.worker import Worker, WorkerOptions
from tests.support import jobs, warm


@pytest.fixture(autouse=True)
def not_warmed_yet(monkeypatch):
    monkeypatch.setattr(warm_up, "_done", False)


@pytest.fixture
def cold(monkeypatch):
    """As if nothing had warmed this process: redis-py's version uncached, templates and catalogs unloaded."""
    read = redis_utils.get_lib_version
    monkeypatch.setattr(redis_utils, "get_lib_version", getattr(read, "__wrapped__", read))
    for loader in engines["django"].engine.template_loaders:
        loader.reset()
    monkeypatch.setattr(trans_real, "_translations", {})
    monkeypatch.setattr(trans_real, "_default", None)


def in_child(measure) -> object:
    """``measure()`` run in a forked child (a job process's view); its JSON result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, json.dumps(measure()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return json.loads(pipe.read())


@pytest.mark.parametrize(
    ("step", "count"),
    [
        (warm_up.redis_version, warm.metadata_reads),
        (warm_up.templates, warm.template_loads),
        (warm_up.translations, warm.COUNTS["catalog_loads"]),
    ],
)
def test_a_job_process_forked_after_a_step_does_not_read_again_what_it_read(cold, step, count):
    assert in_child(count) >= 1  # cold: every job process would read it
    step()
    assert in_child(count) == 0
    assert in_child(count) == 0  # and in every job process after it


def test_a_job_process_forked_after_the_warm_up_does_not_read_job_signatures_again(monkeypatch):
    reads: list[str] = []
    read = arguments.shape_of
    monkeypatch.setattr(arguments, "shape_of", lambda function: (reads.append(function.__name__), read(function))[1])
    monkeypatch.delitem(jobs.add.__dict__, "shape", raising=False)
    looks = lambda: (jobs.add.call_arguments(jobs.add.payload(1, 2, scale=3)), reads.count("add"))[1]  # noqa: E731
    assert in_child(looks) == 1  # cold: every job process would read it
    warm_up.job_signatures()
    assert reads.count("add") == 1
    assert in_child(looks) == 1  # read once, in the worker, not again in the job process


def test_the_cached_redis_version_is_redis_pys_own(cold):
    expected = redis_utils.get_lib_version()
    warm_up.redis_version()
    warm_up.redis_version()  # wrapped once, not twice
    assert redis_utils.get_lib_version() == expected
    assert not hasattr(redis_utils.get_lib_version.__wrapped__, "__wrapped__")


def test_warm_up_opens_no_socket_and_no_database_connection(cold, settings, monkeypatch):
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.RESQUE = {**settings.RESQUE, "REDIS_URL": "redis://127.0.0.1:1/0"}
    attempts: list[object] = []
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, lambda sock, address, attempts=attempts: attempts.append(address))
    opened: list[object] = []
    receiver = lambda sender, connection, **kwargs: opened.append(connection)  # noqa: E731
    connection_created.connect(receiver)
    connections.close_all()
    sockets_before = open_sockets()
    try:
        warm_up.run()
    finally:
        connection_created.disconnect(receiver)
    assert attempts == [] and opened == []
    assert open_sockets() - sockets_before == set()  # (one may close: garbage collected meanwhile)


def open_sockets() -> set[str]:
    """This process's open sockets, by inode."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def test_the_applications_steps_run_after_the_built_in_ones(settings, monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(warm_up, "BUILTIN_STEPS", (lambda: ran.append("built-in"),))
    monkeypatch.setattr(warm, "WARMED_BY", [])
    settings.RESQUE = {**settings.RESQUE, "WARM_UP": ["tests.support.warm.remember_pid"]}
    monkeypatch.setattr(warm, "remember_pid", lambda: ran.append("application"))
    warm_up.run()
    assert ran == ["built-in", "application"]


def test_a_process_warms_up_once_and_a_process_forked_from_it_not_again(monkeypatch):
    ran: list[int] = []
    monkeypatch.setattr(warm_up, "BUILTIN_STEPS", (lambda: ran.append(os.getpid()),))
    warm_up.run()
    warm_up.run()
    assert in_child(lambda: (warm_up.run(), ran)[1]) == [os.getpid()]


def test_built_in_steps_can_be_turned_off(settings, monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(warm_up, "BUILTIN_STEPS", (lambda: ran.append("built-in"),))
    settings.RESQUE = {**settings.RESQUE, "WARM_UP_BUILTIN": False}
    warm_up.run()
    assert ran == []


def test_a_built_in_step_that_fails_is_a_warning_and_the_rest_still_run(monkeypatch, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("no such locale")

    monkeypatch.setattr(warm_up, "BUILTIN_STEPS", (broken, lambda: ran.append("next")))
    with caplog.at_level(logging.WARNING, logger="django_resque.worker.warm_up"):
        warm_up.run()
    assert ran == ["next"]
    assert "broken failed (job processes will do it themselves): no such locale" in caplog.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.support.warm.fail", r"'tests.support.warm.fail' failed: OSError: settings file missing"),
        ("tests.support.warm.missing", r"'tests.support.warm.missing' failed: ImportError"),
    ],
)
def test_an_application_step_that_fails_stops_the_worker_naming_it(settings, fake_redis, path, message):
    settings.RESQUE = {**settings.RESQUE, "WARM_UP": [path], "WARM_UP_BUILTIN": False}
    jobs.remember.delay("waits")
    with pytest.raises(WarmUpError, match=message):
        Worker(WorkerOptions(queues=["test"], burst=True)).work()
    assert fake_redis.llen("resque:queue:test") == 1  # nothing was reserved
    assert not fake_redis.smembers("resque:workers")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"WARM_UP": "myapp.warm"}, "WARM_UP"),
        ({"WARM_UP": [""]}, "WARM_UP"),
        ({"WARM_UP_BUILTIN": 1}, "WARM_UP_BUILTIN"),
    ],
)
def test_bad_warm_up_settings_name_the_key(settings, value, message):
    settings.RESQUE = {**settings.RESQUE, **value}
    with pytest.raises(ImproperlyConfigured, match=message):
        conf.resque_settings()
