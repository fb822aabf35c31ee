"""The worker processes: the loop (``worker.py``), its job processes, the pool manager.

Workers as Redis sees them (the read API the admin uses) are ``django_resque.workers``;
the job a worker holds is ``django_resque.inflight``.
"""
