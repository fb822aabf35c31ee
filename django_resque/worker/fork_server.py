"""The fork server: forked once from the worker, it forks the pre-forked job processes.

After a fork, the first write to each page a process still shares with its child
costs a page fault and, most often, a copy. A worker that forks every job takes
hundreds of such faults per job, in its own reserve and watch code; its fork server
writes almost nothing between forks. So the worker forks once, and asks the fork
server for each next job process instead. It then holds that process as if it had
forked it: the process's two pipes and a pidfd come over the socket (``SCM_RIGHTS``),
signals go through the pidfd, and the fork server, its parent, sends its wait status.

Nothing about a job changes: the worker reserves it and hands it over the pipe as to
any pre-forked process, so the no-job-lost guarantee is the worker's, as before. The
fork server holds no job and uses no connection. It ignores the worker's signals and exits
when the worker closes the socket, or dies. Its job processes watch the worker itself,
through a pidfd the fork server keeps (``child.prepare_fork_server``), so its own death
changes nothing for them. If it dies, the worker forks its job processes itself, and
starts a new fork server a while later.

Messages (``SOCK_SEQPACKET``, one per packet): the worker sends ``f`` (fork one); the
fork server answers ``p <pid>`` with the fds, or ``e <error>``, and sends
``x <pid> <status>`` when one of its job processes exits.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from collections.abc import Callable, Iterable
from typing import NoReturn

from ..exceptions import ForkServerGoneError
from . import title
from .fork import STATUS_LOST, ChildChannel, JobProcess, fork_with_pipes, has_exited

REPLY_SECONDS = 5.0  # a fork server silent this long after a request is taken for dead
STATUS_SECONDS = 5.0  # how long to wait for the exit status of a job process seen to exit
STOP_SECONDS = 2.0  # a fork server still there this long after its socket closed is killed
_IGNORED = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def supported() -> bool:
    return hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") and hasattr(socket, "send_fds")


class ForkServer:
    """The worker's end: ask for job processes, learn their exit statuses."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid, self.sock = pid, sock
        self._statuses: dict[int, int] = {}
        self._forgotten: set[int] = set()

    @classmethod
    def start(
        cls,
        target: Callable[[ChildChannel], NoReturn],
        close_in_child: Iterable[int] = (),
        prepare: Callable[[], None] = lambda: None,
    ) -> ForkServer:
        """Fork the fork server; it runs ``prepare`` once, then ``target`` in each job process it forks."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        worker = os.getpid()
        # Held back over the fork, so none arrives before the fork server ignores it.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _IGNORED)
        pid = os.fork()
        if pid == 0:  # the fork server: never returns
            code = 1
            try:
                _ignore_signals(mask)
                ours.close()
                for fd in close_in_child:
                    os.close(fd)
                prepare()
                serve(theirs, target, worker)
                code = 0
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        theirs.close()
        return cls(pid, ours)

    def spawn(self) -> JobProcess:
        """A new job process, waiting for its job. OSError if the fork failed; ForkServerGoneError."""
        self._send(b"f")
        while True:
            kind, pid, fds, rest = self._receive(REPLY_SECONDS)
            if kind == b"p":
                from_child, to_child, pidfd = fds
                return JobProcess(pid, from_child, to_child, pidfd=pidfd, server=self)
            if kind == b"e":
                raise OSError(rest.decode(errors="replace"))

    def status_of(self, pid: int) -> int:
        """The wait status of our job process ``pid``, which has exited."""
        deadline = time.monotonic() + STATUS_SECONDS
        try:
            while pid not in self._statuses:
                self._receive(max(0.0, deadline - time.monotonic()))
        except ForkServerGoneError:
            return STATUS_LOST
        return self._statuses.pop(pid)

    def forget(self, pid: int) -> None:
        """The worker will not ask for ``pid``'s status: drop it when it comes."""
        if self._statuses.pop(pid, None) is None:
            self._forgotten.add(pid)

    def own_fds(self) -> list[int]:
        return [self.sock.fileno()]

    def stop(self) -> None:
        """Close the socket, so the fork server exits, and reap it (killed if it lingers)."""
        self.sock.close()
        pidfd = os.pidfd_open(self.pid)
        try:
            if not has_exited(pidfd, STOP_SECONDS):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        finally:
            os.close(pidfd)

    def _send(self, message: bytes) -> None:
        try:
            self.sock.send(message)
        except OSError as exc:
            raise ForkServerGoneError(exc) from exc

    def _receive(self, seconds: float) -> tuple[bytes, int, list[int], bytes]:
        """The next packet: a status is kept (or dropped if forgotten) and returned too."""
        if self.sock.fileno() == -1:
            raise ForkServerGoneError("stopped")
        readable, _, _ = select.select([self.sock], [], [], seconds)
        if not readable:
            raise ForkServerGoneError("no answer in %.0fs" % seconds)
        try:
            message, fds, _flags, _address = socket.recv_fds(self.sock, 256, 3)
        except OSError as exc:
            raise ForkServerGoneError(exc) from exc
        if not message:
            raise ForkServerGoneError("it closed the socket")
        kind, _, rest = message.partition(b" ")
        if kind == b"x":
            pid, status = (int(field) for field in rest.split())
            self._keep_status(pid, status)
            return kind, pid, fds, b""
        return kind, int(rest) if kind == b"p" else 0, fds, rest

    def _keep_status(self, pid: int, status: int) -> None:
        if pid in self._forgotten:
            self._forgotten.discard(pid)
        else:
            self._statuses[pid] = status


def serve(sock: socket.socket, target: Callable[[ChildChannel], NoReturn], worker: int) -> None:
    """The fork server's loop: fork on request, report exits; return when the worker is gone."""
    title.set_title("Fork server of worker %d" % worker)
    children: dict[int, int] = {}  # our pidfd of each live job process -> its pid
    while True:
        readable, _, _ = select.select([sock.fileno(), *children], [], [])
        try:
            for fd in readable:
                if fd in children:
                    _report_exit(sock, children.pop(fd), fd)
                elif not sock.recv(16):
                    return  # the worker closed the socket, or died
                else:
                    _fork_one(sock, target, children)
        except (BrokenPipeError, ConnectionResetError):
            return


def _ignore_signals(mask: set[int | signal.Signals]) -> None:
    """The worker's signals are the worker's: the fork server ignores them, and dies with its socket."""
    signal.set_wakeup_fd(-1)
    for signum in _IGNORED:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _fork_one(sock: socket.socket, target: Callable[[ChildChannel], NoReturn], children: dict[int, int]) -> None:
    try:
        pid, from_child, to_child = fork_with_pipes(target, close_in_child=[sock.fileno(), *children])
    except OSError as exc:
        sock.send(b"e %s" % str(exc).encode()[:200])
        return
    children[os.pidfd_open(pid)] = pid
    theirs = os.pidfd_open(pid)
    try:
        socket.send_fds(sock, [b"p %d" % pid], [from_child, to_child, theirs])
    finally:
        for fd in (from_child, to_child, theirs):
            os.close(fd)


def _report_exit(sock: socket.socket, pid: int, pidfd: int) -> None:
    os.close(pidfd)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return
    sock.send(b"x %d %d" % (pid, status))
