import json
import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_resque import keys, pools
from tests.support import jobs as support

ROOT = Path(__file__).resolve().parents[3]


def _call(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_resque_info_table_and_json(fake_redis):
    call_command("resque_enqueue", "tests.support.jobs.remember", "--args", "[1]")
    fake_redis.set(keys.stat("processed"), 3)
    table = _call("resque_info")
    assert "pending: 1" in table and "processed: 3" in table and "test  1" in table
    data = json.loads(_call("resque_info", "--json"))
    assert data["queue_sizes"] == {"test": 1}
    assert data["processed"] == 3


def test_resque_info_counts_delayed_jobs(fake_redis):
    support.remember.enqueue_in(60, 1)
    support.remember.enqueue_in(60, 2)
    support.remember.enqueue_in(3600, 3)
    assert "   delayed: 3" in _call("resque_info").splitlines()
    assert json.loads(_call("resque_info", "--json"))["delayed"] == 3


@pytest.mark.parametrize("command", [["resque_info"], ["resque_failed", "list"]])
def test_a_reader_that_leaves_early_ends_the_command_without_a_traceback(fake_redis, command):
    """``manage.py resque_info | head -3``: the pipe closes before the output is written."""
    script = (
        "import django, fakeredis; django.setup()\n"
        "from django_resque import connection; connection.set_redis(fakeredis.FakeRedis())\n"
        "from django.core.management import call_command\n"
        f"call_command(*{command!r})\n"
    )
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the command writes anything
    try:
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, stdout=writer, stderr=subprocess.PIPE, timeout=60, check=False
        )
    finally:
        os.close(writer)
    assert b"Traceback" not in result.stderr and b"BrokenPipeError" not in result.stderr, result.stderr.decode()
    assert result.returncode == 141


def test_resque_enqueue_with_args_kwargs_and_queue(fake_redis):
    out = _call(
        "resque_enqueue", "tests.support.jobs.add", "--args", "[1, 2]", "--kwargs", '{"scale": 2}', "--queue", "q2"
    )
    job_id = out.strip().rpartition(" as job ")[2].rstrip(".")
    assert "Enqueued tests.support.jobs.add on 'q2' as job " in out
    assert fake_redis.lrange(keys.queue("q2"), 0, -1) == [
        b'{"class":"tests.support.jobs.add","args":[1,2,{"scale":2}],"id":"%s"}' % job_id.encode()
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["os.system", "--args", "[]"], "No job is registered under the name 'os.system'"),
        (["tests.support.jobs.add", "--args", "{"], "--args must be a JSON array"),
        (["tests.support.jobs.add", "--args", '{"a": 1}'], "--args must be a JSON array"),
        (["tests.support.jobs.add", "--kwargs", "[1]"], "--kwargs must be a JSON object"),
        (["tests.support.jobs.add", "--args", "[" * 5000 + "]" * 5000], "--args must be a JSON array: nested deeper"),
        (["tests.support.jobs.add", "--args", "[NaN]"], "--args must be a JSON array"),
        (["tests.support.jobs.add", "--queue", "a,b"], "--queue: Queue name 'a,b' may not contain ','"),
        (["tests.support.jobs.add", "--queue", "a\nb"], "may not contain control characters"),
        (["tests.support.jobs.add", "--queue", "a\x00"], "may not contain control characters"),
    ],
)
def test_resque_enqueue_refuses_bad_input(fake_redis, argv, message):
    with pytest.raises(CommandError, match=message):
        call_command("resque_enqueue", *argv)
    assert fake_redis.keys("*") == []


def test_resque_info_says_when_redis_is_down(settings, monkeypatch):
    monkeypatch.undo()
    settings.RESQUE = {"REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_OPTIONS": {"socket_connect_timeout": 0.2}}
    with pytest.raises(CommandError, match="Cannot reach Redis at redis://127.0.0.1:1/0"):
        call_command("resque_info")


def test_resque_info_shows_the_pools(fake_redis):
    pools.save(4242, "2026-12-03 08:00:00 +0000", {"mail": 2, "reports": 1}, {10: "mail", 11: "reports"})
    table = _call("resque_info")
    assert "pools: 1" in table
    assert "pool %s:4242 (since 2026-12-03 08:00:00 +0000): mail 1/2, reports 1/1" % socket.gethostname() in table
    [pool] = json.loads(_call("resque_info", "--json"))["pools"]
    assert pool["pid"] == 4242 and pool["lines"] == {
        "mail": {"wanted": 2, "running": 1},
        "reports": {"wanted": 1, "running": 1},
    }


def test_resque_info_shows_one_job_by_its_id(fake_redis):
    fake_redis.hset(keys.job_record("j1"), mapping={"status": "finished", "job": "x.y", "return_value": "[1]"})
    table = _call("resque_info", "--job", "j1")
    assert "      status: finished" in table and "      result: [1]" in table
    assert json.loads(_call("resque_info", "--job", "j1", "--json"))["result"] == [1]
    assert "not a job id" in _call("resque_info", "--job", "../x")


def test_resque_failed_list_names_each_job_by_its_id(fake_redis):
    from django_resque import failure

    failure.handle(ValueError("bad"), payload={"class": "x.y", "args": [], "id": "a" * 32}, queue="q", worker_id="w")
    assert "x.y  ValueError: bad  job %s" % ("a" * 32) in _call("resque_failed", "list")
