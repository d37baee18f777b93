"""A LayerLab server as its own process (`layerlab serve`), so a test can kill it the way
a crash would, and find its worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from app.client import LayerLab

LAYERLAB = Path(sys.executable).with_name("layerlab")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc), e.g. a server's workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class ServerProcess:
    """`layerlab serve` on a free loopback port with its home in `home`; `env` adds
    LAYERLAB_* settings. Its log is kept in home/server.log."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home, self.env = home, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {**os.environ, "LAYERLAB_HOME": str(self.home), **self.env}
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(LAYERLAB), "serve", "--port", str(self.port)], env=env,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n"
                                     f"{self.log()}")
            try:
                if httpx2.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        self.stop()  # a `with` whose start fails never exits: the server is not left running
        raise AssertionError(f"the server did not answer in {timeout} s:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def client(self) -> LayerLab:
        return LayerLab(self.url, timeout=30)

    def workers(self) -> list[int]:
        """The server's worker processes: the children of its fork server (or spawned
        interpreters where there is none); not the fork server or the resource tracker."""
        found = []
        for pid in children(self.pid):
            line = cmdline(pid)
            if "spawn_main" in line:
                found.append(pid)
            elif "forkserver" in line:
                found += children(pid)
        return [pid for pid in found if alive(pid)]

    def kill(self) -> None:
        """kill -9: no shutdown, no cleanup."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def wait_until(condition: Any, timeout: float = 60.0, every: float = 0.1,
               what: str = "the condition") -> Any:
    """Poll `condition()` until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen in {timeout} s")


def create_run(http: httpx2.Client, training: dict[str, Any], name: str) -> str:
    """Queue a run of the toy-mlp preset over a client of a ServerProcess; its id."""
    response = http.post("/api/v1/runs", json={"model": {"preset": "toy-mlp"},
                                               "training": training, "name": name})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id
