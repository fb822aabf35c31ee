"""The peers' sides of the benchmark. These modules run only in the peers' virtualenv
(``benchmarks/.venv-peers``, from ``benchmarks/requirements.txt``) and never import
django_resque. Each reads BENCH_REDIS_URL, set by the runner for the private server,
when its worker imports it.
"""
