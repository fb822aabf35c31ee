import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection

from django_resque import models


@pytest.mark.django_db
def test_migrate_creates_exactly_the_two_app_permissions():
    perms = Permission.objects.filter(content_type__app_label="django_resque")
    assert sorted(perms.values_list("codename", flat=True)) == ["change_resque", "view_resque"]
    assert models.VIEW_PERMISSION == "django_resque.view_resque"
    assert models.CHANGE_PERMISSION == "django_resque.change_resque"


@pytest.mark.django_db
def test_models_have_no_table():
    tables = connection.introspection.table_names()
    assert not [name for name in tables if name.startswith("django_resque")]
    for model in (models.Overview, models.Queue, models.Worker, models.FailedJob, models.DelayedJob, models.Schedule):
        assert model._meta.managed is False
        assert model._meta.default_permissions == ()


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = io.StringIO()
    call_command("makemigrations", "django_resque", "--check", "--dry-run", stdout=out)
