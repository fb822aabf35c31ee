"""The realistic-job benchmark: jobs that do what real jobs do, on every worker.

``python -m benchmarks.realistic`` (see ``bench.py`` and docs/benchmarks.md). Also a
Django app (label ``realistic``): its model, templates and jobs are the jobs' own.
"""
