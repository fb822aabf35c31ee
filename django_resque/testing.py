"""Helpers for tests and demos: a private ``redis-server`` and a fakeredis client.

with RedisServer() as server:        # needs redis-server on PATH
    RESQUE = {"REDIS_URL": server.url}
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 55535 and _is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServer:
    """A throwaway redis-server on a free loopback port; nothing persisted unless ``appendonly``."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        appendonly: bool = False,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        found = executable or shutil.which("redis-server")
        if not found:
            raise FileNotFoundError("redis-server is not on PATH (Debian: apt-get install redis-server).")
        self.executable = found
        self.appendonly = appendonly
        self.extra_args = extra_args
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="django-resque-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--logfile",
            str(self.directory / "redis.log"),
            *self.extra_args,
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL), keeping its directory for a restart."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    def _wait_until_ready(self, timeout: float = 10.0) -> None:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}; see {self.directory}/redis.log"
                )
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise TimeoutError(f"redis-server on port {self.port} did not answer within {timeout}s")


class RedisClusterServers:
    """Three master-only cluster nodes on loopback ports, joined with ``redis-cli --cluster create``."""

    def __init__(self, size: int = 3) -> None:
        cluster_args = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
        self.nodes = [RedisServer(port=free_cluster_port(), extra_args=cluster_args) for _ in range(size)]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> RedisClusterServers:
        """Start and join the nodes; on any failure stop the ones already running."""
        try:
            for node in self.nodes:
                node.start()
            self._create_cluster()
            self._wait_until_ok()
        except BaseException:
            self.cleanup()
            raise
        return self

    def _create_cluster(self) -> None:
        cli = shutil.which("redis-cli") or str(Path(self.nodes[0].executable).with_name("redis-cli"))
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        result = subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-yes"], capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {result.stdout[-500:]}{result.stderr[-500:]}")

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()

    def _wait_until_ok(self, timeout: float = 30.0) -> None:
        client = redis.Redis(port=self.nodes[0].port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO"):
                return
            time.sleep(0.1)
        raise TimeoutError("the Redis cluster did not reach cluster_state:ok")


def environment_with(redis_url: str, **extra: str) -> dict[str, str]:
    """``os.environ`` plus REDIS_URL, for starting workers of a project in a subprocess."""
    return {**os.environ, "REDIS_URL": redis_url, **extra}
