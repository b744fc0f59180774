"""Throwaway PostgreSQL and Redis servers: real ones, from Debian's packages, on free loopback ports in a temporary
directory, for the scale-out tests, the load test and its fault script (``make services`` installs the packages).

Each is a context manager that yields the server and removes everything at its end; :meth:`restart` stops and starts
the same server (same port, same data), as the fault script does under load.

Example:
    with throwaway_postgres() as pg, throwaway_redis() as redis:
        print(pg.url, redis.url)   # postgresql://rasa:rasa@127.0.0.1:PORT/rasa  redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PGBIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "rasa"  # the role and database of the conversations (user, password and database share the name)


class ServiceMissing(RuntimeError):
    """The server's Debian package is not installed."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available() -> str | None:
    """None when both servers can be started here, else what to install."""
    if not (PGBIN / "initdb").exists():
        return "PostgreSQL 15 is not installed (make services)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (make services)"
    return None


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster with the role and database ``rasa`` (password ``rasa``)."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}:{PG_USER}@127.0.0.1:{self.port}/{PG_USER}"

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PGBIN / "pg_ctl"), "-D", str(self.directory / "data"), "-l", str(self.directory / "pg.log"),
            "-w", "-t", "30", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(PGBIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    """Start a PostgreSQL 15 cluster (about 1 s); stopped and deleted at the end.

    Raises:
        ServiceMissing: PostgreSQL 15 is not installed.
    """
    if not (PGBIN / "initdb").exists():
        raise ServiceMissing("PostgreSQL 15 is not installed: run `make services`")
    directory = Path(tempfile.mkdtemp(prefix="zhengwu-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")  # initdb and postgres refuse to run as root
    server = Postgres(directory, free_port())
    try:
        server._run(
            str(PGBIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        server.start()
        server._run(
            "psql", "-h", str(directory), "-p", str(server.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
            "-c", f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_USER}'", "-c", f"CREATE DATABASE {PG_USER} OWNER {PG_USER}",
        )  # fmt: skip
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Redis:
    """A throwaway Redis server (no persistence)."""

    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port} within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def throwaway_redis() -> Iterator[Redis]:
    """Start a Redis server (about 0.1 s); stopped and deleted at the end.

    Raises:
        ServiceMissing: redis-server is not installed.
    """
    if shutil.which("redis-server") is None:
        raise ServiceMissing("redis-server is not installed: run `make services`")
    server = Redis(Path(tempfile.mkdtemp(prefix="zhengwu-redis-")), free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)
