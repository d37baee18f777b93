"""A throwaway PostgreSQL server for tests: initdb and pg_ctl in a private temp folder,
listening on a unix socket only (no TCP). initdb refuses to run as root, so as root the
server runs as the `nobody` user through runuser."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

PG_USER = "layerlab"
SERVER_USER = "nobody"  # who runs initdb/pg_ctl when the tests run as root


class PostgresServer:
    """A throwaway PostgreSQL server; new_database() hands out a fresh database URL."""

    def __init__(self, folder: Path, port: int, as_user: list[str]) -> None:
        self.folder, self.port, self.as_user = folder, port, as_user
        self.data = folder / "data"

    def run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{tail}")

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "--no-sync",
                 "-E", "UTF8")
        self.launch()

    def launch(self) -> None:
        """Start the server on the data folder initdb made (again after a stop)."""
        options = (f"-k {self.folder} -p {self.port} -c listen_addresses='' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-o", options,
                 "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://{PG_USER}@/{database}"
                f"?host={self.folder}&port={self.port}")

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host=str(self.folder), port=self.port, user=PG_USER,
                               dbname="postgres", autocommit=True)

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    # Only the socket file's name uses the port (no TCP), but keep it plausible.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_as() -> list[str]:
    """The command prefix that runs the server as a non-root user; [] when not root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        pytest.skip("PostgreSQL tests: running as root and runuser is missing")
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"PostgreSQL tests: running as root and no {SERVER_USER!r} user")
    return ["runuser", "-u", SERVER_USER, "--"]



@contextmanager
def postgres() -> Iterator[PostgresServer]:
    """Start a server for the duration of the block (skips when PostgreSQL is missing)."""
    missing = [tool for tool in ("initdb", "pg_ctl") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"PostgreSQL tests: {', '.join(missing)} not found on PATH")
    as_user = run_as()
    # Not under tmp_path: pytest's base temp folder is private to root (mode 0700).
    folder = Path(tempfile.mkdtemp(prefix="layerlab-pg-"))
    if as_user:
        shutil.chown(folder, SERVER_USER)
    server = PostgresServer(folder, free_port(), as_user)
    try:
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
