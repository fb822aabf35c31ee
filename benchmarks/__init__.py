"""Benchmarks of django-resque against RQ, django-rq, Celery, Huey and raw redis-py.

Run ``python -m benchmarks run`` (``--quick`` for about a minute) from the repository
root with django-resque's virtualenv; see docs/benchmarks.md. Importing this package
does nothing: it is also the Django app holding our benchmark jobs (``jobs.py``).
"""
