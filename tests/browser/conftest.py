"""Headless Chromium (Debian's, via Playwright's ``executable_path``) against a live server.

Each test gets the test project's admin on pytest-django's ``live_server``, a real Redis
(``real_redis``) and a logged-in superuser page. Without chromium the tests skip locally
and fail in CI (``missing``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import missing

# Playwright's sync API runs an event loop; Django refuses ORM calls from such threads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"
USERNAME, PASSWORD = "admin", "browser-test"


def _chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="package")
def browser():
    """One Chromium for this package, closed when it ends: Playwright's sync API keeps an
    event loop running in the main thread, which would break asyncio.run() in later tests."""
    executable = _chromium_path()
    if executable is None:
        missing("chromium is not installed (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        yield launched
        launched.close()


@pytest.fixture
def admin_page(browser, live_server, real_redis, django_user_model):
    """A page logged into the admin as a superuser; JS dialogs are recorded in ``page.dialogs``."""
    django_user_model.objects.create_superuser(USERNAME, "admin@example.com", PASSWORD)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/admin/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    yield page
    context.close()


@pytest.fixture
def screenshot(tmp_path):
    """Save a full-page screenshot ``admin-<name>.png``.

    Into docs/images (shown in the README) when RESQUE_UPDATE_SCREENSHOTS=1, else into
    the test's tmp dir, so an ordinary test run leaves the working tree clean.
    """
    folder = SCREENSHOTS if os.environ.get("RESQUE_UPDATE_SCREENSHOTS") == "1" else tmp_path

    def take(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"admin-{name}.png"), full_page=True)
        assert (folder / f"admin-{name}.png").stat().st_size > 0

    return take
