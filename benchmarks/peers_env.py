"""The peers' own virtualenvs: ``benchmarks/.venv-peers`` from requirements.txt, and
``benchmarks/.venv-jobs`` from requirements-jobs.txt (the realistic jobs, ours and RQ's).

Each is rebuilt only when its requirements file changes (its hash is kept in the
virtualenv). Nothing of the peers is vendored or becomes a dependency of django-resque.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-peers"
REQUIREMENTS = HERE / "requirements.txt"
JOBS_VENV = HERE / ".venv-jobs"
JOBS_REQUIREMENTS = HERE / "requirements-jobs.txt"
STAMP_NAME = "requirements.sha256"


def python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def ensure(venv: Path = VENV, requirements: Path = REQUIREMENTS) -> Path:
    """Create or update a peers' virtualenv; returns its interpreter."""
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = venv / STAMP_NAME
    if python(venv).exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python(venv)
    logger.warning("Installing the peers into %s from %s ...", venv.name, requirements.name)
    if not python(venv).exists():
        subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    pip = [str(python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    stamp.write_text(wanted + "\n")
    return python(venv)


def _base_python() -> str:
    """The interpreter our virtualenv was made from, so the peers get the same Python."""
    return getattr(sys, "_base_executable", None) or sys.executable
