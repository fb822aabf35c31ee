"""The demo: Redis, a worker, the scheduler and the admin, with sample jobs flowing.

Run with ``testproject/demo`` (or ``python -m testproject.demo --seconds 60``). Redis is
REDIS_URL when set, else a private redis-server, else fakeredis's in-memory server,
which keeps nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_USER, ADMIN_PASSWORD = "admin", "resque-demo"
WORKER_QUEUES = "mail,reports,payments,default"


def start_redis() -> tuple[str, object | None]:
    """A Redis URL for the demo, and what to stop at the end (or None)."""
    if os.environ.get("REDIS_URL"):
        print(f"Redis: using REDIS_URL={os.environ['REDIS_URL']}")
        return os.environ["REDIS_URL"], None
    from django_resque.testing import RedisServer, free_port

    if shutil.which("redis-server"):
        server = RedisServer().start()
        print(
            f"Redis: started a private redis-server at {server.url} (nothing saved to disk; gone when the demo stops)"
        )
        return server.url, server
    from fakeredis import TcpFakeServer

    port = free_port()
    fake = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    print("!" * 78)
    print("Redis: no REDIS_URL and no redis-server on PATH, so the demo runs fakeredis's")
    print(f"in-memory stand-in at 127.0.0.1:{port}. It KEEPS NOTHING: every job, failure and")
    print("statistic vanishes when the demo stops. Install redis-server or set REDIS_URL")
    print("to keep data.")
    print("!" * 78)
    return f"redis://127.0.0.1:{port}/0", fake


def stop_redis(keeper: object | None) -> None:
    if keeper is None:
        return
    if hasattr(keeper, "cleanup"):
        keeper.cleanup()
    else:
        keeper.shutdown()


def prepare_database() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    admin, _ = get_user_model().objects.get_or_create(
        username=ADMIN_USER, defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
    )
    admin.is_staff = admin.is_superuser = True
    admin.set_password(ADMIN_PASSWORD)
    admin.save()


def spawn(*command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *command], cwd=ROOT)


def start_processes(port: int) -> list[subprocess.Popen[bytes]]:
    from django.core.management import get_commands

    available = get_commands()
    processes = []
    if "resque_work" in available:
        processes.append(spawn("resque_work", "--queues", WORKER_QUEUES))
    else:
        print("(resque_work is not built yet: jobs stay queued)")
    if "resque_scheduler" in available:
        processes.append(spawn("resque_scheduler"))
    processes.append(spawn("runserver", f"127.0.0.1:{port}", "--noreload"))
    return processes


def enqueue_samples(tick: int) -> None:
    from django.contrib.auth import get_user_model

    from testproject.shop.jobs import ChargeCard, build_report, send_welcome_mail

    user, _ = get_user_model().objects.get_or_create(username=f"customer{tick}")
    send_welcome_mail.delay(user.pk)
    build_report.delay(f"report-{tick}", rows=5)
    if tick % 3 == 0:
        ChargeCard.delay(1000 + tick, 4999)


def print_status() -> None:
    import django_resque

    info = django_resque.info()
    sizes = ", ".join(f"{q}={django_resque.size(q)}" for q in django_resque.queues())
    print(
        f"[demo] processed={info['processed']} failed={info['failed']} pending={info['pending']} "
        f"workers={info['workers']} working={info['working']} queues: {sizes or '-'}",
        flush=True,
    )


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT if "resque_work" in process.args else signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: until Ctrl-C)")
    parser.add_argument("--port", type=int, default=8000, help="admin port (default 8000)")
    options = parser.parse_args(argv)

    redis_url, keeper = start_redis()
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    import django

    django.setup()
    prepare_database()
    processes = start_processes(options.port)
    print(f"Admin: http://127.0.0.1:{options.port}/admin/  login {ADMIN_USER} / {ADMIN_PASSWORD}")
    print(f"       overview  http://127.0.0.1:{options.port}/admin/django_resque/overview/")
    print(
        f"       failed jobs to retry (ChargeCard fails on purpose)  http://127.0.0.1:{options.port}/admin/django_resque/failedjob/"
    )
    print(f"Shop:  http://127.0.0.1:{options.port}/  (sign up, request a report)")
    print("Ctrl-C stops the demo.", flush=True)
    deadline = time.monotonic() + options.seconds if options.seconds else None
    try:
        for tick in itertools.count(1):
            enqueue_samples(tick)
            time.sleep(2)
            print_status()
            if deadline and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        print("\nStopping ...")
    finally:
        stop_processes(processes)
        stop_redis(keeper)
    return 0


if __name__ == "__main__":
    sys.exit(main())
