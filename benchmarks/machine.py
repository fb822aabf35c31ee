"""The machine and the versions a result was measured with."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata

import redis

OUR_PACKAGES = ("django-resque", "django", "redis", "hiredis")
PEER_PACKAGES = ("rq", "django-rq", "celery", "kombu", "huey", "redis", "hiredis", "django")


def describe_machine() -> dict[str, object]:
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "ram_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def redis_server_version(url: str) -> str:
    return str(redis.Redis.from_url(url).info("server")["redis_version"])


def our_versions() -> dict[str, str]:
    return {name: _version(name) for name in OUR_PACKAGES}


def peer_versions(python: str) -> dict[str, str]:
    """Versions installed in the peers' virtualenv, asked of its own interpreter."""
    code = (
        "import json, importlib.metadata as m\n"
        f"names = {list(PEER_PACKAGES)!r}\n"
        "def v(n):\n"
        "    try: return m.version(n)\n"
        "    except m.PackageNotFoundError: return 'missing'\n"
        "print(json.dumps({n: v(n) for n in names}))"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo_kib(field: str) -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
