"""The docs stay honest where it is cheap to check: settings, commands, API, keys, index."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest
from django.dispatch import Signal

import django_resque
from django_resque import Job, conf, keys, signals

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
COMMANDS = ROOT / "django_resque" / "management" / "commands"
JOB_METHODS = (
    "delay",
    "enqueue_to",
    "on_commit",
    "delay_many",
    "enqueue_at",
    "enqueue_in",
    "payload",
    "perform_payload",
)


def page(name: str) -> str:
    return (DOCS / name).read_text()


def plain_signature(obj: object, drop_self: bool = False) -> str:
    """``(a, b=1, *args)``: the signature as the docs write it, without type hints."""
    signature = inspect.signature(obj)  # type: ignore[arg-type]
    params = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    if drop_self:
        params = params[1:]
    return str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))


@pytest.mark.parametrize("key", sorted(conf.DEFAULTS))
def test_every_setting_is_in_the_settings_reference(key):
    assert f"| `{key}` |" in page("configuration.md")


@pytest.mark.parametrize("command", sorted(p.stem for p in COMMANDS.glob("resque_*.py")))
def test_every_command_is_in_the_commands_reference(command):
    assert f"`{command}" in page("commands.md")


@pytest.mark.parametrize("name", django_resque.__all__)
def test_every_public_name_is_in_the_api_reference_with_its_signature(name):
    obj = getattr(django_resque, name)
    text = page("api.md")
    if inspect.isclass(obj):
        assert f"`{name}`" in text
    else:
        assert f"`{name}{plain_signature(obj)}`" in text


@pytest.mark.parametrize("method", JOB_METHODS)
def test_every_job_method_is_in_the_api_reference_with_its_signature(method):
    assert f"`job.{method}{plain_signature(getattr(Job, method), drop_self=True)}`" in page("api.md")


def keys_in_the_keys_module() -> list[str]:
    """The key patterns of keys.py's header table (``<ns>:...``, up to the type column)."""
    layout = (keys.__doc__ or "").split("Key layout")[1]
    found = re.findall(r"^  (<ns>:.+?)\s{2,}(?:string|list|set|zset|hash)\s", layout, re.M)
    assert len(found) > 20, "keys.py's header table changed shape; update this test"
    return found


@pytest.mark.parametrize("key", keys_in_the_keys_module())
def test_every_key_is_in_the_redis_layout_page(key):
    assert f"`{key}`" in page("redis-layout.md")


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.glob("*.md") if p.name != "index.md"))
def test_every_page_is_linked_from_a_section_of_the_index(name):
    assert f"]({name})" in page("index.md")


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.glob("*.md")))
def test_no_page_names_a_path_of_the_machine_it_was_written_on(name):
    assert not re.search(r"(?<![\w.])/(work|root|home)/", page(name)), name


def test_every_figure_of_the_comparison_comes_from_the_benchmarks_page():
    figures = re.findall(r"\d[\d,.]*(?: jobs/s| ms)", page("comparison.md"))
    assert figures, "the comparison quotes no benchmark figure"
    benchmarks = page("benchmarks.md")
    assert [figure for figure in figures if figure not in benchmarks] == []


def check_ids() -> list[str]:
    source = (ROOT / "django_resque" / "checks.py").read_text()
    return sorted(set(re.findall(r'id="(django_resque\.[EW]\d+)"', source)))


@pytest.mark.parametrize("check_id", check_ids())
def test_every_system_check_is_in_the_commands_reference(check_id):
    assert f"`{check_id}`" in page("commands.md")


@pytest.mark.parametrize("name", sorted(n for n, v in vars(signals).items() if isinstance(v, Signal)))
def test_every_signal_is_in_the_signals_reference(name):
    assert f"| `{name}` |" in page("signals.md")


def project_metadata() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_link_and_image_of_the_readme_is_absolute_and_names_a_file_that_exists():
    """The README is the package index page too, where relative links break."""
    source = project_metadata()["urls"]["Source"]
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#]+)", readme)
    assert [target for target in targets if not target.startswith("https://")] == []
    ours = [
        path
        for target in targets
        for prefix in (f"{source}/blob/main/", source.replace("github.com", "raw.githubusercontent.com") + "/main/")
        if target.startswith(prefix) and (path := target.removeprefix(prefix))
    ]
    assert any(path.startswith("docs/images/") for path in ours)
    assert [path for path in ours if not (ROOT / path).exists()] == []


def dependency_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[;\s]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


@pytest.mark.parametrize("name", ["README.md", "docs/quickstart.md", "docs/tutorial.md"])
def test_the_install_line_names_what_pip_installs(name):
    """``pip install django-resque   # Django, ...``: the comment lists the dependencies exactly."""
    text = (ROOT / name).read_text()
    comment = re.search(r"pip install django-resque +# (?:brings )?(.+)", text)
    assert comment, f"{name} has no 'pip install django-resque  # ...' line"
    listed = {re.sub(r"\[.*\]", "", word.strip()).lower() for word in comment[1].split(",")}
    assert listed == dependency_names(project_metadata()["dependencies"])
