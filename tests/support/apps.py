from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "tests.support"
    label = "resque_test_support"
