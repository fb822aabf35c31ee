"""The exporter command serves what is in Redis, and stops cleanly on TERM."""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django_resque.testing import environment_with, free_port
from tests.support import jobs as support

ROOT = Path(__file__).resolve().parents[3]


def _scrape(url, deadline=30.0):
    until = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > until:
                raise
            time.sleep(0.1)


def test_exporter_serves_queue_sizes_from_redis(redis_url, real_redis):
    support.remember.delay(1)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "resque_metrics", "--port", str(port)],
        cwd=ROOT,
        env=environment_with(redis_url, DJANGO_SETTINGS_MODULE="tests.settings"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        text = _scrape(f"http://127.0.0.1:{port}/metrics")
        assert 'resque_queue_jobs{queue="test"} 1.0' in text
        assert "python_gc" not in text  # only our collector, not the exporter's own process
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0
