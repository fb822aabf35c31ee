"""A ResqueBackend subclass, to check that apps.py autodiscovers tasks for subclasses too."""

from django_resque.backends import ResqueBackend


class CustomResqueBackend(ResqueBackend):
    pass
