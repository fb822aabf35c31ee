"""The peers' own virtualenv, ``benchmarks/.venv-peers``, built from requirements.txt.

Rebuilt only when requirements.txt changes (its hash is kept in the virtualenv).
Nothing of the peers is vendored or becomes a dependency of django-resque.
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
STAMP = VENV / "requirements.sha256"


def python() -> Path:
    return VENV / "bin" / "python"


def ensure() -> Path:
    """Create or update the peers' virtualenv; returns its interpreter."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python().exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python()
    logger.warning("Installing the peers into %s from %s ...", VENV.name, REQUIREMENTS.name)
    if not python().exists():
        subprocess.run([_base_python(), "-m", "venv", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(wanted + "\n")
    return python()


def _base_python() -> str:
    """The interpreter our virtualenv was made from, so the peers get the same Python."""
    return getattr(sys, "_base_executable", None) or sys.executable
