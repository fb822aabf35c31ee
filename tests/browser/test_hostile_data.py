"""The admin in a real browser with every hostile value of issue 21 in Redis: each page
renders (no error page), bad values read "unreadable" or "invalid queue name", and the
unreadable failure is deleted with its own button."""

from __future__ import annotations

import pytest

from django_resque import keys
from tests.support import hostile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_renders_and_the_unreadable_failure_is_deleted(admin_page, real_redis):
    written = hostile.write_all(real_redis)
    page = admin_page
    for path in hostile.admin_pages(written.failed):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
    page.goto("/admin/django_resque/worker/")
    assert "unreadable record" in page.inner_text("#result_list")
    page.goto("/admin/django_resque/queue/")
    assert "(invalid queue name)" in page.inner_text("#result_list")
    page.goto("/admin/django_resque/failedjob/")
    rows = page.locator("#result_list tbody tr", has_text="unreadable record")
    assert rows.count() == 4
    rows.first.locator("button", has_text="Delete").click()
    page.wait_for_selector(".messagelist")
    assert "(unreadable record)" in page.inner_text(".messagelist")
    assert real_redis.llen(keys.failed()) == written.failed - 1
    assert page.dialogs == []
