from pathlib import Path

import pytest

from django_resque import checks, connection, job, registry
from tests.support import jobs as support_jobs


def test_valid_settings_pass(fake_redis):
    assert checks.check_settings() == []
    assert checks.check_failure_backends() == []
    assert checks.check_redis_reachable() == []


def test_bad_settings_are_reported_with_an_id(settings):
    settings.RESQUE = {"REDIS_URL": "http://nope"}
    (error,) = checks.check_settings()
    assert error.id == "django_resque.E001"
    assert "must start with one of redis://" in error.msg


def test_unimportable_failure_backend(settings):
    settings.RESQUE = {**settings.RESQUE, "FAILURE_BACKENDS": ["nowhere.Backend"]}
    (error,) = checks.check_failure_backends()
    assert error.id == "django_resque.E002"
    assert "'nowhere.Backend'" in error.msg


def test_unreachable_redis_is_a_deploy_error(settings, monkeypatch):
    monkeypatch.undo()
    connection.reset()
    settings.RESQUE = {"REDIS_URL": "redis://:pw@127.0.0.1:1/0", "REDIS_OPTIONS": {"socket_connect_timeout": 0.2}}
    (error,) = checks.check_redis_reachable()
    assert error.id == "django_resque.E010"
    assert "redis://:***@127.0.0.1:1/0" in error.msg


def test_checks_are_registered_for_manage_py_check():
    from django.core.checks.registry import registry

    assert checks.check_settings in registry.get_checks()
    assert checks.check_redis_reachable in registry.get_checks(include_deployment_checks=True)


def test_a_bad_schedule_entry_is_a_check_error_naming_it(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"nightly": {"cron": "30 2 * * *", "class": "app.Gone"}}}
    (error,) = checks.check_schedule()
    assert error.id == "django_resque.E050"
    assert error.msg.startswith("Schedule 'nightly': No job is registered under the name 'app.Gone'")
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"ok": {"every": "1m", "class": "RubyNamed"}}}
    assert checks.check_schedule() == []


def test_a_bad_pool_config_is_a_check_error_naming_the_entry(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("RESQUE_POOL_CONFIG", raising=False)
    assert checks.check_pool() == []
    settings.RESQUE = {**settings.RESQUE, "POOL": {"mail": 2, "reports": "two"}}
    (error,) = checks.check_pool()
    assert error.id == "django_resque.E060"
    assert "RESQUE['POOL']: 'reports' must be a worker count (0 or more), got 'two'." in error.msg
    path = tmp_path / "pool.json"
    path.write_text('{"mail": 2,')
    settings.RESQUE = {**settings.RESQUE, "POOL": None}
    monkeypatch.setenv("RESQUE_POOL_CONFIG", str(path))
    (error,) = checks.check_pool()
    assert "pool.json, line 1: not valid JSON" in error.msg
    path.write_text('{"mail": 2}')
    assert checks.check_pool() == []


def test_pool_setting_of_the_wrong_type(settings):
    settings.RESQUE = {**settings.RESQUE, "POOL": ["mail"]}
    (error,) = checks.check_settings()
    assert "RESQUE['POOL'] must be a dict or a file's path, got list." in error.msg
    assert checks.check_pool() == []


@pytest.fixture
def built_for_real(monkeypatch):
    """connection builds its client from the settings (no fakeredis), and forgets it after."""
    monkeypatch.undo()
    connection.reset()
    yield
    connection.reset()


@pytest.mark.parametrize(
    ("caches", "message"),
    [
        ({"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}, "which is not in CACHES"),
        (
            {
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "jobs": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"},
            },
            "which is not a django-redis cache",
        ),
    ],
    ids=["missing cache", "django's own redis cache"],
)
def test_a_connection_naming_no_django_redis_cache_is_a_check_error(settings, built_for_real, caches, message):
    settings.CACHES = caches
    settings.RESQUE = {"CONNECTION": "jobs"}
    (error,) = checks.check_connection()
    assert error.id == "django_resque.E012"
    assert "'jobs'" in error.msg and message in error.msg
    assert "django_redis.cache.RedisCache" in error.hint


def test_a_django_redis_connection_passes_without_a_round_trip(settings, built_for_real):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    settings.RESQUE = {"CONNECTION": "jobs"}
    assert checks.check_connection() == []


def test_a_redis_url_that_redis_py_refuses_is_a_check_error(settings, built_for_real):
    settings.RESQUE = {"REDIS_URL": "redis://127.0.0.1:notaport/0"}
    (error,) = checks.check_connection()
    assert error.id == "django_resque.E012"
    assert "REDIS_URL" in error.hint


def test_hints_point_at_online_docs_not_at_a_checkout(settings):
    settings.RESQUE = {"REDIS_URL": "http://nope"}
    (error,) = checks.check_settings()
    assert error.hint.startswith("See https://") and "/docs/configuration.md" in error.hint


def test_a_job_registered_after_startup_is_a_warning_naming_it():
    @job(name="late.one")
    def defined_in_a_view() -> None: ...

    try:
        warnings = [w for w in checks.check_jobs_known_to_workers() if "'late.one'" in w.msg]
        assert [w.id for w in warnings] == ["django_resque.W070"]
        assert "test_checks.test_a_job_registered_after_startup_is_a_warning_naming_it" in warnings[0].msg
    finally:
        registry.unregister("late.one")


def test_jobs_registered_while_django_starts_are_not_reported():
    assert support_jobs.remember.name in registry.all_jobs()
    assert support_jobs.remember.name not in {w.msg.split("'")[1] for w in checks.check_jobs_known_to_workers()}


def test_every_check_is_registered_for_manage_py_check():
    from django.core.checks.registry import registry as check_registry

    for check in (checks.check_connection, checks.check_jobs_known_to_workers, checks.check_schedule):
        assert check in check_registry.get_checks()


def test_every_problem_of_a_schedule_entry_is_reported_not_just_the_first(settings):
    bad = {"cron": "61 * * * *", "class": "app.Gone", "missed": "sometimes", "colour": "red"}
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"nightly": bad}}
    errors = checks.check_schedule()
    assert {error.id for error in errors} == {"django_resque.E050"}
    assert all(error.msg.startswith("Schedule 'nightly': ") for error in errors)
    text = " | ".join(error.msg for error in errors)
    assert "unknown key(s) colour" in text
    assert "'app.Gone'" in text
    assert "'missed' must be one of" in text
    assert len(errors) == 4, text


def test_a_schedule_entry_with_bad_arguments_only_is_one_error(settings):
    settings.RESQUE = {**settings.RESQUE, "SCHEDULE": {"ok": {"every": "1m", "class": "RubyNamed", "args": [{1: 2}]}}}
    (error,) = checks.check_schedule()
    assert "'args'" in error.msg


def test_no_hint_names_a_docs_path_a_pip_install_does_not_have():
    source = Path(checks.__file__).read_text()
    assert "See docs/" not in source and 'docs("' in source
