"""The demo runs on a machine without Redis, and says that its stand-in keeps nothing."""

import os
import subprocess
import sys
from pathlib import Path

from django_resque.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_without_redis_on_the_fallback_server(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PATH=str(bindir), RESQUE_DEMO_VAR=str(tmp_path / "var"))
    result = subprocess.run(
        [sys.executable, "-m", "testproject.demo", "--seconds", "4", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "KEEPS NOTHING" in result.stdout
    assert "login admin / resque-demo" in result.stdout
    assert "[demo] processed=" in result.stdout
