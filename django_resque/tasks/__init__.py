"""Django Tasks framework support: the pieces behind ``django_resque.backends.ResqueBackend``.

Importing this package does nothing; ``compat`` needs Django 6's ``django.tasks`` or the
``django-tasks`` backport (``pip install "django-resque[tasks]"`` on Django 5.2).
"""
