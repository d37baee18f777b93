"""Shared constants and helpers of the security suite (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, WebSocketRoute

try:  # FastAPI >= 0.165 keeps included routers lazily; older ones list every route
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI
    iter_route_contexts = None

API = "/api/v1"
TOKEN = "security-suite-token-7Qm2Vx9Lp4Rz8Kd"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ALLOWED_ORIGIN = "https://allowed.example"
FINAL = ("completed", "failed", "diverged", "stopped", "paused", "interrupted")
TOY_TRAINING: dict[str, Any] = {
    "dataset": {"name": "xor", "options": {"n_samples": 100}},
    "epochs": 1, "batch_size": 32, "device": "cpu", "validation_split": 0.2,
}

HOSTILE_NAME = "名前 🚀 ../../etc/passwd ..\\..\\x \"q\" 'a'\nb\x00c"
IMAGE_RUN: dict[str, Any] = {
    "name": HOSTILE_NAME,
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": 3},
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]},
    "training": {"dataset": {"name": "digits", "options": {"layout": "image"}},
                 "epochs": 10_000, "batch_size": 64, "device": "cpu"},
}


@dataclass
class Lab:
    """The app under test. `client` sends the token, `anon` (same app) does not."""

    root: Path  # holds only `home` and the canary
    home: Path
    canary: Path
    secret: str  # the canary's content: must never appear in an answer
    app: FastAPI
    client: TestClient
    anon: TestClient


def wait_for(client: TestClient, run_id: str, statuses: tuple[str, ...] = FINAL,
             timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"{API}/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {statuses}")


def create_run(client: TestClient, name: str | None = None, **training: Any) -> str:
    body: dict[str, Any] = {"model": {"preset": "toy-mlp"},
                            "training": TOY_TRAINING | training}
    if name is not None:
        body["name"] = name
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def server_alive(url: str) -> bool:
    """The real server still answers a normal request."""
    response = httpx.get(f"{url}{API}/layers", headers=AUTH, timeout=10)
    return response.status_code == 200 and len(response.json()) > 0


def rss_mb() -> float:
    """This process's resident memory now (the TestClient app runs in it)."""
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Endpoint:
    method: str  # "WS" for a websocket route
    path: str  # the path format, e.g. /api/v1/runs/{run_id}


def api_endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) of the app under /api/v1, websockets included."""
    routes: list[BaseRoute] = list(iter_route_contexts(app.routes) if iter_route_contexts
                                   else app.routes)
    found = set()
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str) or not path.startswith(f"{API}/"):
            continue
        if isinstance(getattr(route, "route", route), WebSocketRoute):
            found.add(Endpoint("WS", path))
        for method in getattr(route, "methods", None) or ():
            found.add(Endpoint(method, path))
    # DELETE last: it removes the run the other requests name
    return sorted(found, key=lambda e: (e.method == "DELETE", e.path, e.method))


def fill(path: str, values: dict[str, str]) -> str:
    """The path with each {param} replaced by a plausible value."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"no plausible value for path parameter {name!r} in {path}"
        return values[name]
    return PARAM.sub(value, path)
