"""The parent's view of a forked child: messages, exit description."""

from __future__ import annotations

import os
import signal

from django_resque.worker.fork import JobProcess, describe_exit


def _child(channel):
    channel.started(2.5)
    channel.done()
    channel.started(None)
    os._exit(4)


def test_messages_and_exit_status():
    process = JobProcess.spawn(_child)
    try:
        while process.reap() is None:
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        kinds = [(m.kind, m.timeout) for m in process.messages()]
    finally:
        process.close()
    assert kinds == [("s", 2.5), ("d", None), ("s", None)]
    assert describe_exit(process.status) == "exited with status 4"


def test_describe_a_signal_death():
    process = JobProcess.spawn(lambda channel: os.kill(os.getpid(), signal.SIGKILL))
    try:
        while process.reap() is None:
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    finally:
        process.close()
    assert describe_exit(process.status) == "killed by SIGKILL"
