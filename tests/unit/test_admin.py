import pytest
from django.contrib import admin
from django.urls import reverse

from django_resque import models


def test_every_menu_entry_with_pages_is_registered():
    for model in (models.Overview, models.Queue, models.Worker, models.FailedJob, models.DelayedJob, models.Schedule):
        assert admin.site.is_registered(model)


def test_admin_index_lists_the_resque_pages_for_viewers(viewer_client):
    content = viewer_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:django_resque_overview_changelist") in content
    assert reverse("admin:django_resque_queue_changelist") in content
    assert "Resque" in content


def test_admin_index_hides_them_from_staff_without_permission(staff_client):
    content = staff_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:django_resque_queue_changelist") not in content


def test_app_index_is_reachable(viewer_client):
    assert viewer_client.get(reverse("admin:app_list", args=["django_resque"])).status_code == 200


@pytest.mark.parametrize("view", ["add", "change", "delete", "history"])
def test_no_row_pages_exist(view):
    with pytest.raises(Exception, match="NoReverseMatch|Reverse"):
        reverse(f"admin:django_resque_queue_{view}", args=[1] if view != "add" else [])
