"""Fixtures of the security suite: one token-protected app (TestClient) whose home sits
alone in a folder next to a canary file, one small real run (paused),
and one token-protected real server (uvicorn on loopback) for raw-socket cases."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from tests.conftest import serving
from tests.security.helpers import (
    ALLOWED_ORIGIN,
    API,
    AUTH,
    IMAGE_RUN,
    TOKEN,
    Lab,
    wait_for,
)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security-data")


@pytest.fixture(autouse=True)
def downloads_stay_in_tmp(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Datasets are cached under $LAYERLAB_DATA_DIR (~/.cache/layerlab by default): keep
    every test's in a temporary folder (uploads are in each server's home)."""
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(data_dir))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("security")
    home = root / "home"
    secret = secrets.token_hex(16)
    canary = root / "canary.txt"
    canary.write_text(secret)
    settings = Settings(home=home, token=TOKEN, allowed_hosts=["testserver"],
                        allowed_origins=[ALLOWED_ORIGIN])
    app = create_app(settings)
    with TestClient(app, headers=AUTH) as client:
        yield Lab(root, home, canary, secret, app, client, TestClient(app))


@pytest.fixture(scope="session")
def run(lab: Lab) -> str:
    """One small real run: an 8x8-image classifier with a hostile name (unicode, emoji,
    path pieces, quotes, a newline, a NUL), paused after its first epoch (a pause always
    writes a checkpoint). One run only: a second would wait for a fresh worker process."""
    created = lab.client.post(f"{API}/runs", json=IMAGE_RUN)
    assert created.status_code == 201, created.text
    run_id = str(created.json()["id"])
    deadline = time.monotonic() + 120
    while lab.client.get(f"{API}/runs/{run_id}").json()["epoch"] < 1:
        assert time.monotonic() < deadline, "the run never finished an epoch"
        time.sleep(0.05)
    while lab.client.post(f"{API}/runs/{run_id}/pause").status_code != 202:
        assert time.monotonic() < deadline, "the run could not be paused"
        time.sleep(0.05)
    assert wait_for(lab.client, run_id)["status"] == "paused"
    assert (lab.home / "runs" / run_id / "checkpoint.safetensors").is_file()
    return run_id


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real token-protected server on loopback (its own home); yields its base URL."""
    home = tmp_path_factory.mktemp("security-server") / "home"
    with serving(Settings(home=home, token=TOKEN, allowed_hosts=["127.0.0.1"])) as url:
        yield url


