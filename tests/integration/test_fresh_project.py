"""A new user's first hour: the built wheel in a new virtualenv and a new project, by docs/quickstart.md.

The sdist and wheel are built from the files git tracks (as a release would be), the
wheel is installed in a fresh virtualenv (pip may reuse its cache; the venv gets no
pip of its own, the test run's pip installs into it), ``django-admin
startproject`` makes a new project, and every step of the quick start runs in page
order: its commands (a worker gets ``--burst``, ``createsuperuser`` its answers, and
``runserver`` is replaced by a superuser's request to the admin) and its files. Any
step that fails fails the test, with the step and its output.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support.doc_pages import FileBlock, steps

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.md"
DEADLINE = 120
ADMIN_PAGES = ["/admin/", "/admin/django_resque/overview/", "/admin/django_resque/queue/"]
ADMIN_CHECK = (
    "import json; from django.contrib.auth.models import User; from django.test import Client; "
    "c = Client(SERVER_NAME='localhost'); c.force_login(User.objects.get(username='admin')); "
    f"print(json.dumps({{page: c.get(page).status_code for page in {ADMIN_PAGES!r}}}))"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, of the files git tracks (or would: new, not ignored)."""
    base = tmp_path_factory.mktemp("release")
    source = base / "source"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(base / "dist"), str(source)]
    run(build, cwd=base)
    return {"sdist": next((base / "dist").glob("*.tar.gz")), "wheel": next((base / "dist").glob("*.whl"))}


def test_the_sdist_ships_the_docs_and_no_tests(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    assert "docs/quickstart.md" in names and "docs/images/admin-overview.png" in names
    assert "LICENSE" in names and "README.md" in names
    assert [name for name in names if name.split("/")[0] in ("tests", "benchmarks", "testproject")] == []


def test_the_wheel_ships_the_templates_and_the_typing_marker(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = wheel.namelist()
    assert "django_resque/py.typed" in names
    assert "django_resque/templates/admin/django_resque/list.html" in names
    assert [name for name in names if name.startswith("tests/")] == []
    metadata = next(name for name in names if name.endswith("METADATA"))
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        text = wheel.read(metadata).decode()
    assert "Project-URL: Source, https://" in text
    assert "Provides-Extra: metrics" in text


@pytest.mark.redis
def test_a_new_project_follows_the_quick_start_from_the_wheel(dist, real_redis, redis_url, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)  # this run's pip installs into it
    env = new_user_environment(venv, redis_url)
    project = tmp_path / "project"
    project.mkdir()
    for step in steps(QUICKSTART):
        if isinstance(step, FileBlock):
            step.write(project)
        else:
            run_step(step, project, env, dist["wheel"], venv)
    assert (project / "sales.txt").read_text().count("\n") == 25
    assert not importable(venv, "prometheus_client"), "prometheus-client is the [metrics] extra, not a dependency"


def run_step(command: str, project: Path, env: dict[str, str], wheel: Path, venv: Path) -> str:
    """Run one command of the page; the few that wait for a person are adapted.

    ``pip install django-resque`` installs the wheel (with the test run's pip, into the
    new venv: ensurepip would cost more than the rest), then makes the new project.
    """
    args = shlex.split(command)
    if args[:2] == ["pip", "install"]:
        assert args[2:] == ["django-resque"], command
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        installed = run([*pip, str(wheel)], cwd=project, env=env)
        return installed + run(["django-admin", "startproject", "mysite", "."], cwd=project, env=env)
    assert args[:2] == ["python", "manage.py"], f"the quick start runs {command!r}, which this test cannot follow"
    name = args[2]
    if name == "resque_work":
        args.append("--burst")
    elif name == "createsuperuser":
        args += ["--noinput", "--username", "admin", "--email", "admin@example.com"]
    elif name == "runserver":
        answers = run(["python", "manage.py", "shell", "-c", ADMIN_CHECK], cwd=project, env=env)
        assert json.loads(answers.splitlines()[-1]) == dict.fromkeys(ADMIN_PAGES, 200), answers
        return answers
    output = run(args, cwd=project, env=env)
    if name == "check":
        assert "System check identified no issues (0 silenced)." in output, output
    if name == "resque_info":
        assert "reports" in output, output
    return output


def new_user_environment(venv: Path, redis_url: str) -> dict[str, str]:
    """The venv first on PATH, Redis where the page's settings look, nothing of this test run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        REDIS_URL=redis_url,
        DJANGO_SUPERUSER_PASSWORD="a long enough password 42",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def importable(venv: Path, module: str) -> bool:
    probe = [str(venv / "bin" / "python"), "-c", f"import {module}"]
    return subprocess.run(probe, capture_output=True, timeout=DEADLINE, check=False).returncode == 0
