"""Shared fixtures: one app and one client for the whole session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from app.spec import NetworkSpec
from app.spec.presets import load_presets

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="session")
def presets() -> dict[str, NetworkSpec]:
    return load_presets(MODELS_DIR)


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("layerlab-home"),
                        allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """A real server on a free loopback port (uvicorn in a thread), for clients that
    need a socket: schemathesis, the browser. Yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
