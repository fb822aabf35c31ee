"""Admin safety on a real Redis: a logged-in user who is not staff gets no data and no
action, even holding every django_resque permission.

Covered by the admin's own tests (not repeated here): anonymous users on every page and
action, staff without permission, CSRF on every action
(tests/unit/admin_views/test_permissions.py); ``<script>alert(1)</script>`` rendered as
text (tests/unit/admin_views/test_failures.py, test_queues.py, test_scheduled.py,
tests/browser/test_admin_pages.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from django_resque import keys
from tests.support import jobs
from tests.support.jobs import explode

SECRET = "secret-argument-1234"
PAGES = ["overview_changelist", "queue_changelist", "failedjob_changelist", "worker_changelist"]


@pytest.fixture
def non_staff_client(db):
    user = User.objects.create_user("mallory", password="pw", is_staff=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="django_resque"))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_non_staff_user_with_every_permission_sees_nothing(real_redis, non_staff_client, name):
    jobs.remember.delay(SECRET)
    response = non_staff_client.get(reverse(f"admin:django_resque_{name}"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert SECRET.encode() not in response.content


def test_non_staff_user_with_every_permission_cannot_clear_a_queue(real_redis, non_staff_client):
    jobs.remember.delay(SECRET)
    explode.delay(SECRET)
    response = non_staff_client.post(reverse("admin:django_resque_queue_clear", args=["test"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert real_redis.llen(keys.queue("test")) == 2
