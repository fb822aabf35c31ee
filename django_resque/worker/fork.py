"""The parent's handle on a forked job process: spawn, messages, kill, reap.

The child tells the parent over a pipe when it starts a job (with the job's timeout)
and when the job is done (with its result, if kept and small: the parent stores it as it
finishes the record), so the parent knows whether a job was in flight when the child
exited, without asking Redis. The parent asks the child to take
no further job (``--jobs-per-fork``) over a second pipe; a pre-forked child gets its
first job's record over that pipe too (length-prefixed), before any stop request.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import select
import signal
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NoReturn, Protocol

logger = logging.getLogger(__name__)

NO_TIMEOUT = "-"
HEADER = struct.Struct(">I")  # length of a handed-over job record
# A record is handed over only if the pipe takes it whole at once (a pipe holds 64 KiB
# on Linux): the parent never blocks on a child that is not reading.
MAX_HANDED = 60_000
# Parent to child, after the child handed its record back: the record is finished.
FINISHED = b"k"
# A job's result goes with its "done" message only if the message fits whole in the
# pipe's free room (a pipe holds 64 KiB on Linux; less when the user's pipes take more
# than /proc/sys/fs/pipe-user-pages-soft): one write that never blocks, whether the
# parent reads at that moment or not (stopped, busy, dead), and that arrives whole. A
# larger result is stored by the child itself, as it costs a connection anyway.
MAX_RESULT_HANDED = 60_000
PIPE_HEADROOM = 512  # what else may sit unread in the pipe (a "s"/"r" message), and the header
# The most the parent buffers of one message: more is not ours (garbage from a dying child).
MAX_MESSAGE = MAX_RESULT_HANDED + PIPE_HEADROOM
PARENT_CHECK_SECONDS = 0.05  # a child awaiting word checks this often that its parent lives
STATUS_LOST = -1  # an exited job process whose wait status is not known (e.g. its fork server died)


class ChildChannel:
    """The child's end: report job start/done, see whether the parent asked it to stop."""

    def __init__(self, to_parent: int, from_parent: int) -> None:
        self.to_parent, self.from_parent = to_parent, from_parent

    def started(self, timeout: float | None) -> None:
        self._send(b"s %s\n" % (NO_TIMEOUT if timeout is None else repr(float(timeout))).encode())

    def done(self, failed: bool | None = None, value: str | None = None, seconds: int = 0) -> None:
        """The job is over; ``failed`` is None if the child finished its record, else the
        parent finishes it (``inflight.Finished``) and this says whether the job failed.

        ``value``: a succeeded job's result (JSON, one line, at most ``result_room()``
        bytes) for the parent to keep ``seconds`` as it finishes the record.
        """
        if failed is None:
            self._send(b"d\n")
        elif value is None or failed:
            self._send(b"d %d\n" % failed)
        else:
            encoded = value.encode()
            self._send(b"d 0 %d %d %s\n" % (seconds, len(encoded), encoded))

    def result_room(self) -> int:
        """The largest result ``done`` may carry: what the pipe takes at once, at most MAX_RESULT_HANDED."""
        try:
            capacity = fcntl.fcntl(self.to_parent, fcntl.F_GETPIPE_SZ)
        except (AttributeError, OSError):  # not Linux: only PIPE_BUF is promised
            capacity = select.PIPE_BUF
        return max(0, min(MAX_RESULT_HANDED, capacity - PIPE_HEADROOM))

    def await_finished(self, parent_gone: Callable[[], bool], seconds: float) -> bool:
        """After ``done(failed)``: True once the parent says it finished the record.

        False if the pipe closed without that word (the parent died, or let us go), the
        parent is gone, or nothing came for ``seconds``. A parent may close the pipe as it
        dies before we are reparented, so the closed pipe alone says "no word".
        """
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.from_parent], [], [], min(left, PARENT_CHECK_SECONDS))
            if readable:
                data = os.read(self.from_parent, 64)
                if not data or FINISHED in data:
                    return bool(data)
            elif parent_gone():
                return False
        return False

    def received(self) -> None:
        """A pre-forked child has its job (sent before any of the job's code runs)."""
        self._send(b"r\n")

    def _send(self, message: bytes) -> None:
        try:
            os.write(self.to_parent, message)
        except BrokenPipeError:
            pass  # the parent is gone; the job's record in Redis speaks for it

    def stop_requested(self) -> bool:
        readable, _, _ = select.select([self.from_parent], [], [], 0)
        return bool(readable)

    def receive_job(self) -> bytes | None:
        """Block until the parent hands over a job record; None if it closed the pipe."""
        header = _read_exact(self.from_parent, HEADER.size)
        if header is None:
            return None
        return _read_exact(self.from_parent, HEADER.unpack(header)[0])


@dataclass(frozen=True)
class Message:
    kind: str  # "s" (job started), "d" (job done), "r" (pre-forked child got its job), "" (garbled)
    timeout: float | None = None  # "s": the job's timeout
    failed: bool | None = None  # "d": whether the job failed, if the parent must finish its record
    value: str | None = None  # "d": a succeeded job's result (JSON) for the parent to keep
    seconds: int = 0  # "d": how long to keep it


class JobProcess:
    """A job process, as the worker sees it: forked by the worker, or by its fork server.

    A fork server's child is not the worker's to wait for: its exit shows on the pidfd
    the fork server passed along, and its wait status comes from the fork server.
    """

    def __init__(
        self, pid: int, from_child: int, to_child: int, pidfd: int | None = None, server: StatusSource | None = None
    ) -> None:
        self.pid = pid
        self.from_child, self.to_child = from_child, to_child
        if pidfd is None and hasattr(os, "pidfd_open"):
            pidfd = os.pidfd_open(pid)
        self.pidfd = pidfd
        self.server = server
        self._buffer = b""
        self._eof = False  # the child closed its end: exiting (its pidfd says when it is done)
        self.status: int | None = None

    @classmethod
    def spawn(cls, target: Callable[[ChildChannel], NoReturn], close_in_child: Iterable[int] = ()) -> JobProcess:
        """Fork; the child closes ``close_in_child``, runs ``target`` and leaves with ``os._exit``."""
        return cls(*fork_with_pipes(target, close_in_child))

    def own_fds(self) -> list[int]:
        """Every descriptor of this handle (a later child closes them: they are not its own)."""
        return [fd for fd in (self.from_child, self.to_child, self.pidfd) if fd is not None and fd >= 0]

    def hand(self, record: bytes) -> bool:
        """Give a waiting pre-forked child its job; False if it cannot take it whole now.

        On False the child may hold part of a record: the caller must kill it.
        """
        message = HEADER.pack(len(record)) + record
        if len(message) > MAX_HANDED:
            return False
        try:
            return os.write(self.to_child, message) == len(message)
        except (BrokenPipeError, BlockingIOError):
            return False

    def fds(self) -> list[int]:
        """What to select() on: the child's messages until EOF and, where available, its exit.

        The pipe reaches EOF as the child starts exiting, before it can be reaped;
        selecting on it then would spin while the kernel tears the child down.
        """
        pipe = [] if self._eof else [self.from_child]
        return pipe + ([self.pidfd] if self.pidfd is not None else [])

    def messages(self) -> list[Message]:
        """Complete messages received so far."""
        try:
            while chunk := os.read(self.from_child, 4096):
                self._buffer += chunk
            self._eof = True
        except BlockingIOError:
            pass
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_MESSAGE:  # no line of ours is that long
            self._buffer = b""
            lines.append(b"")  # say it: a garbled message
        return [_parse(line) for line in lines]

    def ask_to_stop(self) -> None:
        """Ask the child to take no further job (it finishes the current one)."""
        try:
            os.write(self.to_child, b"q")
        except (BrokenPipeError, BlockingIOError):
            pass

    def kill(self, signum: int) -> None:
        """Signal the process; through its pidfd where there is one, so never a reused pid."""
        if self.status is None:
            try:
                if self.pidfd is not None:
                    signal.pidfd_send_signal(self.pidfd, signum)
                else:
                    os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def reap(self, block: bool = False) -> int | None:
        """The wait status once the process has exited, else None (``block``: wait for it)."""
        if self.status is None:
            if self.server is None:
                self.status = _wait(self.pid, block)
            elif self.pidfd is not None and has_exited(self.pidfd, None if block else 0):
                self.status = self.server.status_of(self.pid)
                if self.status == STATUS_LOST:  # a dead fork server's orphan may have come to us
                    adopted = _wait(self.pid, block=False)
                    self.status = STATUS_LOST if adopted is None else adopted
        return self.status

    def close(self) -> None:
        """Close the pipes; the pidfd stays until the process is reaped (``release``)."""
        for fd in (self.from_child, self.to_child):
            os.close(fd)
        self.from_child = self.to_child = -1
        if self.status is not None:
            self.release()

    def release(self) -> None:
        """Close the pidfd: nothing more is asked of this process."""
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        if self.server is not None and self.status is None:
            self.server.forget(self.pid)


class AwaitingChild:
    """Our end of the pipe to a child that handed its record back and awaits word that
    the record is finished (``ChildChannel.await_finished``); outlives the JobProcess."""

    def __init__(self, process: JobProcess) -> None:
        self.fd: int | None = os.dup(process.to_child)

    def say_finished(self) -> None:
        """Tell the child its record is finished (it exits without touching Redis), then close."""
        if self.fd is not None:
            try:
                os.write(self.fd, FINISHED)
            except (BrokenPipeError, BlockingIOError):
                pass  # it is gone, or its pipe is full of stop requests: it will not wait long
        self.release()

    def release(self) -> None:
        """Close the pipe without the word: the child finishes the record itself, if still there."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class StatusSource(Protocol):
    """Where a job process's wait status comes from when the worker is not its parent."""

    def status_of(self, pid: int) -> int: ...

    def forget(self, pid: int) -> None: ...


def fork_with_pipes(
    target: Callable[[ChildChannel], NoReturn], close_in_child: Iterable[int] = ()
) -> tuple[int, int, int]:
    """Fork a job process with its two pipes: ``(pid, from_child, to_child)``, our ends non-blocking."""
    up_read, up_write = os.pipe2(os.O_CLOEXEC)
    down_read, down_write = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # child: never returns
        for fd in (up_read, down_write, *close_in_child):
            os.close(fd)
        try:
            target(ChildChannel(up_write, down_read))
        finally:
            os._exit(1)
    os.close(up_write)
    os.close(down_read)
    os.set_blocking(up_read, False)
    os.set_blocking(down_write, False)
    return pid, up_read, down_write


def has_exited(pidfd: int, seconds: float | None = 0) -> bool:
    """Whether the process behind ``pidfd`` has exited, waiting up to ``seconds`` (None: until it has)."""
    readable, _, _ = select.select([pidfd], [], [], seconds)
    return bool(readable)


def _wait(pid: int, block: bool) -> int | None:
    """The wait status of our child ``pid`` once it has exited, else None.

    STATUS_LOST if it is not ours to wait for: reaped already (by a SIGCHLD handler of
    embedding code), or a dead fork server's orphan that went elsewhere. Orphans go to
    the nearest subreaper, or to PID 1, which the worker often is in a container: then
    they are ours, and reaped here rather than left as zombies.
    """
    try:
        reaped, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return STATUS_LOST
    return status if reaped else None


def describe_exit(status: int) -> str:
    """``killed by SIGSEGV`` / ``exited with status 3``."""
    if status == STATUS_LOST:
        return "exited (its wait status was lost)"
    if os.WIFSIGNALED(status):
        return "killed by %s" % signal.Signals(os.WTERMSIG(status)).name
    return "exited with status %d" % os.WEXITSTATUS(status)


def _read_exact(fd: int, size: int) -> bytes | None:
    """``size`` bytes from a blocking ``fd``; None at end of file."""
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _parse(line: bytes) -> Message:
    """One message; ``Message("")`` for a line that is none of ours (a dying child's garbage)."""
    kind, _, rest = line.partition(b" ")
    if kind == b"d":
        return _parse_done(rest)
    if kind == b"r" and not rest:
        return Message("r")
    if kind == b"s":
        try:
            timeout = None if rest in (b"", NO_TIMEOUT.encode()) else float(rest)
        except ValueError:
            timeout = math.nan
        if timeout is None or math.isfinite(timeout):
            return Message("s", timeout)
    logger.warning("A job process sent a garbled message (%d bytes): ignored", len(line))
    return Message("")


def _parse_done(rest: bytes) -> Message:
    """``d`` / ``d <failed>`` / ``d 0 <seconds> <length> <value>``; a result that does not
    check out (cut short, not text, no TTL) is dropped: the job is done all the same."""
    flag, _, result = rest.partition(b" ")
    if flag not in (b"", b"0", b"1") or (result and flag != b"0"):
        logger.warning("A job process sent a garbled message (%d bytes): ignored", len(rest) + 2)
        return Message("")
    if not flag:
        return Message("d")
    if not result:
        return Message("d", failed=flag == b"1")
    seconds, length, value = [*result.split(b" ", 2), b"", b""][:3]
    try:
        if len(value) == int(length) and int(seconds) > 0:
            return Message("d", failed=False, value=value.decode(), seconds=int(seconds))
    except (ValueError, UnicodeDecodeError):
        pass
    logger.warning("A job process sent a garbled result (%d bytes): its job is finished without it", len(value))
    return Message("d", failed=False)
