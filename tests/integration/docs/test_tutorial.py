"""docs/tutorial.md works as written: its files build a fresh project whose jobs run.

The project is made by ``django-admin startproject`` in a temporary directory, each
``python`` block of the tutorial that starts with ``# <path>`` is written there (or
appended, for ``# <path> (append)``), and the tutorial's commands run against the
real Redis server of this test run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_resque.testing import environment_with
from tests.support.doc_pages import file_blocks

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = ROOT / "docs" / "tutorial.md"
DEADLINE = 60


@pytest.fixture
def project(tmp_path, real_redis, redis_url):
    env = {k: v for k, v in environment_with(redis_url).items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(tmp_path)

    def manage(*args: str, timeout: float = DEADLINE, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    startproject = [sys.executable, "-m", "django", "startproject", "mysite", "."]
    subprocess.run(startproject, cwd=tmp_path, env=env, check=True, timeout=DEADLINE)
    manage("startapp", "shop")
    for block in file_blocks(TUTORIAL):
        block.write(tmp_path)
    manage.path = tmp_path  # type: ignore[attr-defined]
    manage.env = env  # type: ignore[attr-defined]
    return manage


def test_the_tutorial_names_every_file_it_needs():
    paths = [block.path for block in file_blocks(TUTORIAL)]
    assert paths == ["mysite/settings.py", "shop/jobs.py", "shop/views.py", "mysite/urls.py", "mysite/settings.py"]


def test_the_tutorial_says_to_migrate_before_it_sends_the_reader_to_the_admin():
    text = TUTORIAL.read_text()
    assert text.index("python manage.py migrate") < text.index("/admin/")


def admin_answers(project, page: str) -> int:
    """The status of ``page`` for a new superuser (the tutorial's createsuperuser, without questions)."""
    ask = (
        "from django.contrib.auth.models import User; from django.test import Client; "
        "user = User.objects.create_superuser('admin', 'admin@example.com', 'pw'); "
        f"c = Client(SERVER_NAME='localhost'); c.force_login(user); print(c.get({page!r}).status_code)"
    )
    return int(project("shell", "-c", ask).stdout.split()[-1])


def test_the_tutorial_project_runs_a_view_job_a_failure_a_retry_and_a_delayed_job(project):
    project("migrate")
    project("check")
    visit = "from django.test import Client; c = Client(SERVER_NAME='localhost'); c.get('/visit/'); c.get('/visit/')"
    project("shell", "-c", visit)
    assert "default  2" in project("resque_info").stdout

    work = ("resque_work", "--queues", "default,imports", "--burst", "-v", "0")
    project(*work)
    assert (project.path / "visits.log").read_text() == "/visit/\n/visit/\n"

    project("resque_enqueue", "shop.jobs.import_prices", "--args", '["prices.json"]')
    project(*work)
    listed = project("resque_failed", "list").stdout
    assert "shop.jobs.import_prices  FileNotFoundError" in listed and "1 shown, 1 matching" in listed
    assert admin_answers(project, "/admin/django_resque/failedjob/") == 200

    (project.path / "prices.json").write_text("[5, 10, 27]\n")
    project("resque_failed", "retry", "0")
    project(*work)
    assert (project.path / "total.txt").read_text() == "42"

    project("shell", "-c", "from shop.jobs import record_visit; record_visit.enqueue_in(1, '/later/')")
    run_scheduler_until_queued(project)
    project(*work)
    assert (project.path / "visits.log").read_text().splitlines()[-1] == "/later/"


def run_scheduler_until_queued(project) -> None:
    """Start resque_scheduler, wait (polling) until the delayed job is on its queue, stop it."""
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "resque_scheduler", "--interval", "0.2"],
        cwd=project.path,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while "default  1" not in project("resque_info").stdout:
            assert scheduler.poll() is None, scheduler.stderr.read() if scheduler.stderr else ""
            assert time.monotonic() < deadline, "the scheduler did not move the delayed job in time"
            time.sleep(0.5)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=DEADLINE)
