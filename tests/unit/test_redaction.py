"""Passwords masked in every form redis-py accepts, in every output that may show the URL."""

from __future__ import annotations

import logging

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.views.debug import ExceptionReporter
from redis.sentinel import MasterNotFoundError, Sentinel

from django_resque import checks, connection, stats
from django_resque.debug import ExceptionReporterFilter
from django_resque.exceptions import ResqueConnectionError
from django_resque.redaction import mask_in_text, mask_url
from django_resque.scheduler.scheduler import Scheduler
from django_resque.worker.worker import Worker, WorkerOptions

SECRET = "s3cr3t-Pw"
# Every form of password redis-py (and our sentinel URL) accepts, pointing nowhere.
FORMS = [
    f"redis://:{SECRET}@127.0.0.1:1/0",
    f"redis://user:{SECRET}@127.0.0.1:1/0",
    f"redis://127.0.0.1:1/0?password={SECRET}",
    f"redis://127.0.0.1:1/0?db=0&password={SECRET}&socket_timeout=1",
    f"rediss://user:{SECRET}@127.0.0.1:1/0",
    f"unix://:{SECRET}@/nonexistent/redis.sock?db=0",
    f"unix:///nonexistent/redis.sock?password={SECRET}",
    f"redis+sentinel://:{SECRET}@127.0.0.1:1/mymaster/0",
    f"redis+sentinel://127.0.0.1:1,127.0.0.1:2/mymaster?password={SECRET}",
]
# Settings that do not start with a known scheme (check E001 quotes them).
WRONG = [f"http://user:{SECRET}@h/0", f"127.0.0.1:6379?password={SECRET}", f"{SECRET}@127.0.0.1:6379"]


def _no_master(self, service_name):
    raise MasterNotFoundError(f"No master found for {service_name!r}")


@pytest.fixture
def unreachable(settings, monkeypatch, request):
    """RESQUE['REDIS_URL'] set to the form, with the real client builder (no fakeredis)."""
    monkeypatch.undo()
    connection.reset()
    settings.RESQUE = {"REDIS_URL": request.param, "REDIS_OPTIONS": {"socket_connect_timeout": 0.2, "retry": None}}
    monkeypatch.setattr(Sentinel, "discover_master", _no_master)  # at once, not after redis-py's retries
    yield request.param
    connection.reset()


@pytest.mark.parametrize("url", FORMS + WRONG)
def test_mask_url_hides_every_form(url):
    masked = mask_url(url)
    assert SECRET not in masked and "***" in masked
    if "://" in url or "?" in url:  # free text: URLs and query parameters are found
        assert SECRET not in mask_in_text(f"failed: {url!r} and {url}")


def test_mask_url_keeps_what_is_not_secret():
    assert mask_url("redis://user:pw@h:6379/0?db=1&password=x") == "redis://user:***@h:6379/0?db=1&password=***"
    assert mask_url("unix:///run/redis.sock?db=2") == "unix:///run/redis.sock?db=2"
    assert mask_url("redis://:p@ss/w?rd@h/0") == "redis://:***@h/0"


@pytest.mark.parametrize("unreachable", FORMS, indirect=True)
def test_connection_errors_check_and_command_output_are_masked(unreachable, capsys):
    with pytest.raises(ResqueConnectionError) as caught:
        stats.info()
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    (error,) = checks.check_redis_reachable()
    assert error.id == "django_resque.E010" and SECRET not in error.msg
    for command, args in (
        ("resque_info", ()),
        ("resque_failed", ("list",)),
        ("resque_enqueue", ("tests.support.jobs.noop",)),
    ):
        with pytest.raises(CommandError) as failed:
            call_command(command, *args)
        assert SECRET not in str(failed.value), command
    out, err = capsys.readouterr()
    assert SECRET not in out + err


@pytest.mark.parametrize("unreachable", FORMS, indirect=True)
def test_worker_and_scheduler_log_lines_are_masked(unreachable, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG, logger="django_resque")
    worker = Worker(WorkerOptions(queues=["q"], fork=False))
    monkeypatch.setattr(worker, "idle", lambda seconds: None)
    worker.step()
    Scheduler(interval=0.01).safe_tick()
    assert "***" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize("url", WRONG)
def test_a_setting_with_a_wrong_scheme_is_quoted_masked(settings, url):
    settings.RESQUE = {"REDIS_URL": url}
    (error,) = checks.check_settings()
    assert error.id == "django_resque.E001" and SECRET not in error.msg


@pytest.mark.parametrize("url", FORMS + WRONG)
def test_the_debug_page_masks_redis_urls_in_settings(settings, url):
    settings.RESQUE = {"REDIS_URL": url}
    settings.CACHES = {**settings.CACHES, "redis": {"BACKEND": "x", "LOCATION": url}}
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "django_resque.debug.ExceptionReporterFilter"
    request = RequestFactory().get("/")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        html = ExceptionReporter(request, type(exc), exc, exc.__traceback__).get_traceback_html()
    assert SECRET not in html
    assert isinstance(ExceptionReporterFilter().get_safe_settings()["RESQUE"], dict)


def test_a_check_warns_when_the_debug_page_would_show_the_password(settings):
    settings.DEBUG = True
    settings.RESQUE = {"REDIS_URL": FORMS[2]}
    (warning,) = checks.check_debug_page_hides_password()
    assert warning.id == "django_resque.W011" and SECRET not in warning.msg
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "django_resque.debug.ExceptionReporterFilter"
    assert checks.check_debug_page_hides_password() == []
    settings.DEBUG = False
    del settings.DEFAULT_EXCEPTION_REPORTER_FILTER
    assert checks.check_debug_page_hides_password() == []
