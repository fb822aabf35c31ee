"""The parent's view of a forked child: messages, exit description."""

from __future__ import annotations

import fcntl
import os
import signal
import time

import pytest

from django_resque.worker import fork
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


def _done_with_results(channel):
    channel.done(failed=False, value='{"a":"é"}', seconds=600)
    channel.done(failed=True, value="[1]", seconds=600)  # a failed job's value is never sent
    channel.done(failed=False, value=None, seconds=600)
    os._exit(0)


def test_a_done_message_carries_a_succeeded_jobs_result():
    process = JobProcess.spawn(_done_with_results)
    try:
        _wait_exit(process)
        got = [(m.kind, m.failed, m.value, m.seconds) for m in process.messages()]
    finally:
        process.close()
    assert got == [("d", False, '{"a":"é"}', 600), ("d", True, None, 0), ("d", False, None, 0)]


def _largest_result_then_exit(channel):
    value = "x" * channel.result_room()
    channel.started(None)  # unread too, as it may be
    channel.done(failed=False, value=value, seconds=1)
    os._exit(0)


def test_the_largest_result_fits_in_a_pipe_nobody_reads():
    """The job process never blocks on its worker: the message fits whole in the pipe's room."""
    process = JobProcess.spawn(_largest_result_then_exit)
    try:
        _, status = os.waitpid(process.pid, 0)  # reads nothing until the child is gone
        process.status = status
        messages = process.messages()
    finally:
        process.close()
    assert os.WEXITSTATUS(status) == 0
    assert [m.kind for m in messages] == ["s", "d"]
    assert len(messages[1].value) == fork.MAX_RESULT_HANDED  # a Linux pipe of 64 KiB


def test_the_room_for_a_result_follows_the_pipes_capacity():
    read_end, write_end = os.pipe()
    try:
        channel = ChildChannel(to_parent=write_end, from_parent=read_end)
        assert channel.result_room() == fork.MAX_RESULT_HANDED
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
        assert channel.result_room() == 4096 - fork.PIPE_HEADROOM
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize(
    "line",
    [
        b"\xff\xfe",
        b"s abc",
        b"s nan",
        b"s 1 2",
        b"r x",
        b"d 2",
        b"d 1 600 3 [1]",
        b"z",
        b"",
    ],
)
def test_a_garbled_message_is_ignored(line):
    assert fork._parse(line) == fork.Message("")


@pytest.mark.parametrize(
    "line",
    [b"d 0 600 9 [1]", b"d 0 0 3 [1]", b"d 0 -5 3 [1]", b"d 0 x 3 [1]", b"d 0 600 2 \xff\xfe", b"d 0 600", b"d 0 6 "],
)
def test_a_garbled_result_is_dropped_and_the_job_is_still_done(line):
    assert fork._parse(line) == fork.Message("d", failed=False)


def test_a_line_longer_than_any_message_is_dropped_not_kept():
    def child(channel):
        os.write(channel.to_parent, b"x" * (fork.MAX_MESSAGE + 1))
        os._exit(0)

    process = JobProcess.spawn(child)
    try:
        _wait_exit(process)
        kinds = [m.kind for m in process.messages()]
    finally:
        process.close()
    assert kinds == [""] and process._buffer == b""
