"""The pool's config: sources, environment sections, and bad configs refused with the line at fault."""

from __future__ import annotations

import builtins
import json

import pytest

from django_resque.exceptions import PoolConfigError
from django_resque.worker import pool_config
from django_resque.worker.pool_config import load


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in (*pool_config.ENVIRONMENT_VARIABLES, pool_config.CONFIG_VARIABLE):
        monkeypatch.delenv(name, raising=False)


def test_a_json_file_gives_the_lines_with_queue_lists_tidied(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text('{"mail": 2, "reports": 1, " critical, high ,low": 4, "idle": 0}')
    assert load(path) == {"mail": 2, "reports": 1, "critical,high,low": 4, "idle": 0}


def test_the_environment_section_is_merged_over_the_top_lines_and_others_dropped(tmp_path, monkeypatch):
    path = tmp_path / "pool.json"
    path.write_text(json.dumps({"mail": 1, "production": {"mail": 4, "reports": 2}, "staging": {"x": 9}}))
    assert load(path) == {"mail": 1}
    monkeypatch.setenv("RESQUE_ENV", "production")
    assert load(path) == {"mail": 4, "reports": 2}
    monkeypatch.setenv("RACK_ENV", "staging")  # resque-pool's order: RACK_ENV, RAILS_ENV, RESQUE_ENV
    assert load(path) == {"mail": 1, "x": 9}
    assert load(path, env="production") == {"mail": 4, "reports": 2}


def test_yaml_when_pyyaml_is_there(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "resque-pool.yml"
    path.write_text('mail: 2\n"critical,high": 3\nproduction:\n  mail: 5\n')
    assert load(path) == {"mail": 2, "critical,high": 3}
    assert load(path, env="production") == {"mail": 5, "critical,high": 3}


def test_yaml_without_pyyaml_says_what_to_do(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError("No module named 'yaml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_yaml)
    path = tmp_path / "resque-pool.yaml"
    path.write_text("mail: 2\n")
    with pytest.raises(
        PoolConfigError, match="PyYAML is not installed: pip install PyYAML, or write the config as JSON"
    ):
        load(path)


def test_settings_env_variable_and_option_in_that_order_of_preference(settings, tmp_path, monkeypatch):
    settings.RESQUE = {**settings.RESQUE, "POOL": {"from_settings": 1}}
    assert load() == {"from_settings": 1}
    in_setting = tmp_path / "setting.json"
    in_setting.write_text('{"from_setting_path": 1}')
    settings.RESQUE = {**settings.RESQUE, "POOL": str(in_setting)}
    assert load() == {"from_setting_path": 1}
    from_env = tmp_path / "env.json"
    from_env.write_text('{"from_env": 2}')
    monkeypatch.setenv("RESQUE_POOL_CONFIG", str(from_env))
    assert load() == {"from_env": 2}
    assert load(in_setting) == {"from_setting_path": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "mail": 2,\n  "reports" 1\n}', r"pool.json, line 3: not valid JSON: Expecting ':' delimiter"),
        (
            '{\n  "mail": 2,\n  "reports": "two"\n}',
            r"'reports' must be a worker count \(0 or more\), got 'two'. \(line 3\)",
        ),
        ('{\n  "mail": -1\n}', r"'mail' must be a worker count .* got -1. \(line 2\)"),
        ('{\n  "mail": true\n}', r"got True. \(line 2\)"),
        ('{\n  "mail": 1,\n  "mail": 2\n}', r"'mail' appears twice. \(line 2\)"),
        ('{\n  "a,b": 1,\n  "a, b": 2\n}', r"'a, b' is the queue list 'a,b' twice. \(line 3\)"),
        ('{\n  "mail,,x": 1\n}', r"'mail,,x' is not a queue list: .* got ''. \(line 2\)"),
        ('{\n  "mail\\u0007": 1\n}', r"'mail\\x07' is not a queue list: .* control characters .* \(line 2\)"),
        ('["mail"]', r"must map queue lists to worker counts, got list"),
        ("{}", r"has no line \(queue list: count\)"),
    ],
)
def test_a_bad_file_is_refused_with_the_line_at_fault(tmp_path, text, message):
    path = tmp_path / "pool.json"
    path.write_text(text)
    with pytest.raises(PoolConfigError, match=message):
        load(path)


def test_bad_yaml_names_its_line(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "pool.yml"
    path.write_text("mail: 2\nreports: [\n")
    with pytest.raises(PoolConfigError, match=r"pool.yml, line 3: not valid YAML"):
        load(path)
    path.write_text("mail: 2\n1: 2\n")
    with pytest.raises(PoolConfigError, match=r"pool.yml: 1 is not a queue list"):
        load(path)
    path.write_text("mail: 2\nreports: many\n")
    with pytest.raises(PoolConfigError, match=r"'reports' must be a worker count .* \(line 2\)"):
        load(path)


def test_no_config_and_an_unreadable_one(tmp_path):
    with pytest.raises(PoolConfigError, match="No pool config: give --config FILE"):
        load()
    with pytest.raises(PoolConfigError, match="Cannot read the pool config"):
        load(tmp_path / "missing.json")


def test_an_empty_environment_section_is_named(settings):
    settings.RESQUE = {**settings.RESQUE, "POOL": {"production": {}}}
    with pytest.raises(PoolConfigError, match="RESQUE\\['POOL'\\] has no line .* for 'production'"):
        load(env="production")
