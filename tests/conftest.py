"""Shared fixtures: one app and one client for the whole session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import create_app
from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService
from app.settings import Settings
from app.spec import NetworkSpec
from app.spec.presets import load_presets
from app.store import get_store

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
# The ImageNet classics, for 3x224x224 images and 1000 classes.
IMAGENET_PRESETS = frozenset({"alexnet", "vgg16", "resnet18", "googlenet"})
# Presets over the default max_params: validated and shown, built only once the limit is
# raised, so the suites that build and run every preset for real leave them out
# (tests/test_presets_files.py checks this list against the presets themselves).
OVER_DEFAULT_LIMITS = frozenset({"alexnet", "vgg16"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--case-table", action="store_true",
                     help="end with a table of every case: result, time and the detail it "
                          "recorded (record_property('detail', ...)); make reliability-report")


@dataclass
class _Case:
    outcome: str = "passed"
    seconds: float = 0.0
    detail: str = ""


_cases: dict[str, _Case] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    case = _cases.setdefault(report.nodeid, _Case())
    case.seconds += report.duration
    if report.outcome != "passed" and case.outcome == "passed":
        case.outcome = "error" if report.when != "call" and report.failed else report.outcome
    for key, value in report.user_properties:
        if key == "detail":
            case.detail = str(value)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not config.getoption("--case-table") or not _cases:
        return
    write = terminalreporter.write_line
    width = max(len(node) for node in _cases)
    terminalreporter.section("cases")
    write(f"{'case':<{width}}  {'result':<7}  {'time':>7}  detail")
    for node, case in _cases.items():
        detail = " ".join(case.detail.split())
        write(f"{node:<{width}}  {case.outcome:<7}  {case.seconds:6.1f}s  {detail[:100]}")
    passed = sum(case.outcome == "passed" for case in _cases.values())
    total = sum(case.seconds for case in _cases.values())
    write(f"{passed} of {len(_cases)} passed in {total:.0f} s")


@pytest.fixture(scope="session")
def presets() -> dict[str, NetworkSpec]:
    return load_presets(MODELS_DIR)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RunService]:
    """A real runs service: a SQLite file store and worker processes (2 at a time)."""
    store = get_store(f"sqlite:///{tmp_path / 'runs.db'}")
    runs = RunService(store, ProcessExecutor(max_concurrent=2, stop_timeout=3.0),
                      tmp_path / "runs")
    yield runs
    runs.close()
    store.close()


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("layerlab-home"),
                        allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@contextmanager
def serving_app(settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """A real server on a free loopback port (uvicorn in a thread), for clients that
    need a socket: schemathesis, the browser, load tests. Yields its base URL and the
    app (whose state holds the runs service and the stream feeds)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """serving_app, for callers that need only the URL."""
    with serving_app(settings) as (url, _):
        yield url
