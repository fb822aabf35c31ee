"""The parent's view of a forked child: messages, exit description."""

from __future__ import annotations

import os
import signal
import time

import pytest

from django_resque.worker.fork import FINISHED, ChildChannel, JobProcess, describe_exit


def _child(channel):
    channel.started(2.5)
    channel.done()
    channel.started(None)
    channel.done(failed=True)
    channel.done(failed=False)
    os._exit(4)


def test_messages_and_exit_status():
    process = JobProcess.spawn(_child)
    try:
        while process.reap() is None:
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        kinds = [(m.kind, m.timeout, m.failed) for m in process.messages()]
    finally:
        process.close()
    assert kinds == [("s", 2.5, None), ("d", None, None), ("s", None, None), ("d", None, True), ("d", None, False)]
    assert describe_exit(process.status) == "exited with status 4"


def test_describe_a_signal_death():
    process = JobProcess.spawn(lambda channel: os.kill(os.getpid(), signal.SIGKILL))
    try:
        while process.reap() is None:
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    finally:
        process.close()
    assert describe_exit(process.status) == "killed by SIGKILL"


def _receiving_child(channel):
    record = channel.receive_job()
    channel._send(b"s %s\n" % (b"-" if record is None else str(len(record)).encode()))
    os._exit(0)


def _wait_exit(process):
    while process.reap() is None:
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)


def test_a_handed_record_reaches_the_waiting_child_whole():
    process = JobProcess.spawn(_receiving_child)
    try:
        assert process.hand(b'{"queue":"q","payload":"x"}' * 100)
        _wait_exit(process)
        [message] = process.messages()
    finally:
        process.close()
    assert message.timeout == 2700.0  # the length the child read


def test_hand_refuses_what_the_pipe_cannot_take_at_once_and_a_dead_child():
    process = JobProcess.spawn(lambda channel: os._exit(0))
    try:
        assert not process.hand(b"x" * 70_000)
        _wait_exit(process)
        assert not process.hand(b"small")  # nobody reads: broken pipe
    finally:
        process.close()


def test_a_closed_pipe_means_no_job():
    process = JobProcess.spawn(_receiving_child)
    os.close(process.to_child)
    process.to_child = os.open(os.devnull, os.O_WRONLY)  # keep close() balanced
    try:
        _wait_exit(process)
        [message] = process.messages()
    finally:
        process.close()
    assert message.timeout is None


def test_a_child_closes_the_descriptors_it_is_told_to():
    read_end, write_end = os.pipe()
    process = JobProcess.spawn(lambda channel: os._exit(0), close_in_child=[write_end])
    os.close(write_end)
    try:
        _wait_exit(process)
        assert os.read(read_end, 1) == b""  # no copy of the write end survives in the child
    finally:
        os.close(read_end)
        process.close()


@pytest.fixture
def channel_reading():
    """channel_reading(*writes, close=False): a ChildChannel reading a pipe that holds ``writes``."""
    fds: list[int] = []

    def make(*writes: bytes, close: bool = False) -> ChildChannel:
        read_end, write_end = os.pipe()
        fds.append(read_end)
        for data in writes:
            os.write(write_end, data)
        if close:
            os.close(write_end)
        else:
            fds.append(write_end)
        return ChildChannel(to_parent=-1, from_parent=read_end)

    yield make
    for fd in fds:
        os.close(fd)


def test_a_child_that_handed_its_record_back_hears_the_word_after_stop_requests(channel_reading):
    assert channel_reading(b"q", FINISHED).await_finished(lambda: False, 1.0)


def test_a_closed_pipe_a_gone_parent_or_silence_is_no_word(channel_reading):
    assert not channel_reading(b"q", close=True).await_finished(lambda: False, 1.0)
    assert not channel_reading().await_finished(lambda: True, 1.0)
    started = time.monotonic()
    assert not channel_reading().await_finished(lambda: False, 0.2)
    assert 0.2 <= time.monotonic() - started < 1.0
