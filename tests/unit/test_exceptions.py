import importlib

import pytest

from django_resque import delayed, exceptions, registry
from django_resque.exceptions import DontPerform, DontPerformError, ResqueConfigurationError, ResqueError


def test_every_error_is_a_resque_error_named_error():
    errors = [value for value in vars(exceptions).values() if isinstance(value, type) and issubclass(value, Exception)]
    ours = [error for error in errors if error.__module__ == exceptions.__name__]
    assert ours and all(issubclass(error, ResqueError) and error.__name__.endswith("Error") for error in ours)


def test_dont_perform_is_a_deprecated_alias():
    assert DontPerform is DontPerformError


def test_pool_config_error_is_a_configuration_error():
    assert issubclass(exceptions.PoolConfigError, ResqueConfigurationError)


def test_the_delayed_queue_under_its_old_name_warns_and_is_the_same_module():
    scheduler = importlib.import_module("django_resque.scheduler")
    with pytest.warns(DeprecationWarning, match="django_resque.delayed"):
        assert scheduler.delayed is delayed
    assert importlib.import_module("django_resque.scheduler.delayed") is delayed


def test_registry_find_is_none_for_unknown_names():
    assert registry.find("no.such.Job") is None and registry.find(None) is None
