"""Admin users and logged-in clients: staff without permission, viewer, changer, superuser.

Fixtures for the admin tests; ``tests/unit/conftest.py`` and the browser conftest import them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client


def _user(username: str, *codenames: str, superuser: bool = False) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True, is_superuser=superuser)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="django_resque", codename__in=codenames)
    )
    return user


def _client_for(user: User, **options: object) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(db):
    return _client_for(_user("staff"))


@pytest.fixture
def viewer_client(db):
    return _client_for(_user("viewer", "view_resque"))


@pytest.fixture
def changer_client(db):
    return _client_for(_user("changer", "change_resque"))


@pytest.fixture
def superuser_client(db):
    return _client_for(_user("root", superuser=True))


@pytest.fixture
def csrf_client(db):
    """A changer whose client enforces CSRF like a browser would."""
    return _client_for(_user("csrf", "change_resque"), enforce_csrf_checks=True)
