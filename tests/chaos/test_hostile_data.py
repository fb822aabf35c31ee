"""Hostile data on the real system: every odd value of issue 21 written into a real Redis
while a real worker, a real scheduler and the admin (``manage.py runserver``) run.

The worker and the scheduler keep running (and the worker stays registered), every
admin page answers 200, and an unreadable failure is visible and removable through the
admin's own form. The values themselves are in tests/support/hostile.py.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from django_resque import keys
from django_resque.decoding import RECORD_DEPTH, loads
from django_resque.exceptions import UndecodableError
from django_resque.testing import environment_with
from tests.integration.worker.conftest import ROOT, done, wait_until
from tests.support import hostile

# Small intervals so the worker prunes the dead worker within seconds.
FAST = json.dumps({"HEARTBEAT_INTERVAL": 1, "PRUNE_INTERVAL": 3})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AdminServer:
    """``manage.py runserver`` on its own SQLite database, with a superuser logged in."""

    def __init__(self, redis_url: str, tmp_path) -> None:
        self.env = environment_with(
            redis_url, DJANGO_SETTINGS_MODULE="tests.settings", RESQUE_TEST_DB=str(tmp_path / "admin.sqlite3")
        )
        self._manage("migrate", "-v", "0")
        create = "from django.contrib.auth.models import User; User.objects.create_superuser('admin', '', 'pw')"
        self._manage("shell", "-c", create)
        self.url = "http://127.0.0.1:%d" % _free_port()
        self.log = tmp_path / "runserver.log"
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", self.url[len("http://") :]],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.session = requests.Session()
        wait_until(self._answers, what="the admin server")
        self._login()

    def _manage(self, *args: str) -> None:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env, check=True)

    def _answers(self) -> bool:
        try:
            return self.session.get(self.url + "/admin/login/", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    def _login(self) -> None:
        self.session.get(self.url + "/admin/login/")
        token = self.session.cookies["csrftoken"]
        fields = {"username": "admin", "password": "pw", "csrfmiddlewaretoken": token, "next": "/admin/"}
        response = self.session.post(self.url + "/admin/login/", data=fields, headers={"Referer": self.url})
        assert response.url.endswith("/admin/"), response.text[:500]

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=30)

    def post(self, path: str, fields: dict[str, str]) -> requests.Response:
        data = {**fields, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        return self.session.post(self.url + path, data=data, headers={"Referer": self.url}, timeout=30)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def admin_server(redis_url, tmp_path):
    server = AdminServer(redis_url, tmp_path)
    yield server
    server.stop()


def _failures(client) -> list[dict]:
    """The readable failure records (the hostile ones written by the test are not)."""
    records = []
    for raw in client.lrange(keys.failed(), 0, -1):
        try:
            records.append(loads(raw, max_depth=RECORD_DEPTH))
        except UndecodableError:
            continue
    return [record for record in records if isinstance(record, dict)]


def _scheduler_due_work_done(client) -> bool:
    """The due bucket is empty (bad items set aside, the good one queued) and the bad members are gone."""
    members = client.zrange(keys.delayed_schedule(), 0, -1)
    return members == [str(hostile.FUTURE).encode(), b"later-garbage"]


@pytest.mark.django_db
def test_workers_scheduler_and_admin_survive_every_hostile_value(real_redis, start_worker, admin_server):
    written = hostile.write_all(real_redis)
    worker = start_worker("--queues", "evil,good", "--interval", "0.2")
    scheduler = start_worker("--interval", "0.2", command="resque_scheduler")

    # The worker takes every bad payload from "evil" and fails it; the scheduler sets the bad
    # delayed items aside and queues the good one, which the worker then runs.
    def wait(predicate, what):
        try:
            wait_until(predicate, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nworker:\n{worker.output()}\nscheduler:\n{scheduler.output()}") from None

    wait(lambda: real_redis.llen(keys.queue("evil")) == 0, "evil drained")
    wait(lambda: _scheduler_due_work_done(real_redis), "scheduler moved the due bucket")
    wait(lambda: any(note.get("value") == "after" for note in done(real_redis)), "the good delayed job")
    # The worker prunes the dead worker whose record holds a payload nested 990 deep.
    wait(lambda: not real_redis.sismember(keys.workers(), hostile.DEAD_WORKER), "dead worker pruned")
    records = _failures(real_redis)
    pruned = [r for r in records if r.get("exception") == "Resque::PruneDeadWorkerDirtyExit"]
    assert pruned and pruned[0]["error"].endswith("while processing <unreadable>")
    assert pruned[0]["payload"]["raw"].startswith('{"queue":"evil","run_at":"x","payload":{"class"')
    bad_payloads = [r for r in records if r.get("queue") == "evil" and r["exception"] == "MalformedPayloadError"]
    assert len(bad_payloads) == 4, records

    time.sleep(3)  # a few more loops over the bad data: heartbeats, prunes, ticks
    assert worker.process.poll() is None, worker.output()
    assert scheduler.process.poll() is None, scheduler.output()
    assert any(hostile.DEAD_WORKER.encode() != m and b":evil,good" in m for m in real_redis.smembers(keys.workers()))
    assert "Traceback" not in scheduler.output()

    for page in hostile.admin_pages(written.failed + len(pruned) + len(bad_payloads)):
        response = admin_server.get(page)
        assert response.status_code == 200, (page, response.text[:2000])
    for page in hostile.bad_requests():
        assert admin_server.get(page).status_code == 404, page

    # The unreadable failure (a record nested 990 deep) is visible and removable, one by one.
    listing = admin_server.get("/admin/django_resque/failedjob/").text
    assert "unreadable record" in listing
    before = real_redis.llen(keys.failed())
    target = re.search(r'name="target" value="(0:[0-9a-f]{40}:)"', listing)
    assert target is not None, listing[:3000]
    response = admin_server.post("/admin/django_resque/failedjob/delete/", {"target": target[1]})
    assert response.status_code == 200 and "Deleted failed job #0 (unreadable record)" in response.text
    assert real_redis.llen(keys.failed()) == before - 1
    assert worker.process.poll() is None and scheduler.process.poll() is None


BUSY_SECONDS = 3
# Holds Redis for BUSY_SECONDS, as a huge bulk script would: every other client gets BUSY.
BUSY_SCRIPT = """
local start = tonumber(redis.call('TIME')[1])
while tonumber(redis.call('TIME')[1]) - start < tonumber(ARGV[1]) do end
return 1
"""


def test_a_busy_redis_is_waited_out_like_a_lost_one(real_redis, start_worker):
    real_redis.config_set("busy-reply-threshold", 100)  # milliseconds before others get BUSY
    worker = start_worker("--queues", "test", "--interval", "0.2")
    scheduler = start_worker("--interval", "0.2", command="resque_scheduler")
    wait_until(lambda: any(b":test" in m for m in real_redis.smembers(keys.workers())), what="registered")
    wait_until(lambda: real_redis.exists(keys.scheduler_master_lock()), what="scheduler master")
    try:
        real_redis.eval(BUSY_SCRIPT, 0, BUSY_SECONDS)
    finally:
        real_redis.config_set("busy-reply-threshold", 5000)
    real_redis.sadd(keys.queues(), "test")
    real_redis.rpush(keys.queue("test"), b'{"class":"tests.support.jobs.remember","args":["after busy"]}')
    wait_until(lambda: any(n.get("value") == "after busy" for n in done(real_redis)), what="a job after BUSY")
    assert worker.process.poll() is None, worker.output()
    assert scheduler.process.poll() is None
    assert any(b":test" in m for m in real_redis.smembers(keys.workers()))
    assert "BUSY" in worker.output()  # it saw BUSY, logged it and backed off
