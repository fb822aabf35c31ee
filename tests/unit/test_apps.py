from django_resque.apps import uses_resque_task_backend


class ResqueBackendSubclass:
    pass


def test_resque_backend_is_detected_by_path():
    assert uses_resque_task_backend({"default": {"BACKEND": "django_resque.backends.ResqueBackend"}})


def test_a_subclass_is_detected():
    path = "tests.support.custom_backend.CustomResqueBackend"
    assert uses_resque_task_backend(
        {"x": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}, "y": {"BACKEND": path}}
    )


def test_other_or_broken_settings_are_not_resque():
    assert not uses_resque_task_backend({})
    assert not uses_resque_task_backend(None)
    assert not uses_resque_task_backend({"default": "nope"})
    assert not uses_resque_task_backend({"default": {"BACKEND": "does.not.exist"}})
    assert not uses_resque_task_backend({"default": {"BACKEND": "tests.unit.test_apps.ResqueBackendSubclass"}})
