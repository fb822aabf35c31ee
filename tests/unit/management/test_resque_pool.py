"""Option parsing of manage.py resque_pool (the manager itself: tests/unit/worker/test_pool.py)."""

from __future__ import annotations

import signal

import pytest
from django.core.management import CommandError, call_command

from django_resque.management.commands import resque_pool
from django_resque.worker import pool_config


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in (*pool_config.ENVIRONMENT_VARIABLES, pool_config.CONFIG_VARIABLE):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def runs(monkeypatch):
    ran = []
    monkeypatch.setattr(resque_pool.Pool, "run", lambda self: ran.append(self))
    return ran


def test_a_bad_config_is_refused_before_any_worker_starts(tmp_path, runs):
    path = tmp_path / "pool.json"
    path.write_text('{\n  "mail": 2,\n  "reports": "x"\n}')
    with pytest.raises(CommandError, match=r"pool.json: 'reports' must be a worker count .* \(line 3\)"):
        call_command("resque_pool", "--config", str(path), verbosity=0)
    with pytest.raises(CommandError, match="No pool config"):
        call_command("resque_pool", verbosity=0)
    assert runs == []


def test_the_config_section_and_term_behaviour_reach_the_pool(tmp_path, runs):
    path = tmp_path / "pool.json"
    path.write_text('{"mail": 1, "production": {"mail": 3}}')
    call_command("resque_pool", "-c", str(path), "-E", "production", "--term-graceful-wait", "--no-fork", verbosity=0)
    call_command("resque_pool", "-c", str(path), verbosity=0)
    graceful, default = runs
    assert graceful.lines == {"mail": 3} and not graceful.options.fork
    assert graceful.stops[signal.SIGTERM].wait and not default.stops[signal.SIGTERM].wait
    assert default.lines == {"mail": 1} and default.stops[signal.SIGTERM].to_workers == signal.SIGTERM
    for each in runs:
        each.flags.close()


def test_bad_worker_options_are_refused(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text('{"mail": 1}')
    with pytest.raises(CommandError, match="--interval must be positive"):
        call_command("resque_pool", "-c", str(path), "--interval", "0", verbosity=0)
