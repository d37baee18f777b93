"""Two real servers (apps) on one PostgreSQL database: they list the same runs, each
trains its own, one's start-up leaves the other's live runs alone, and a restarted
server interrupts the runs it left unfinished."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from app.store.sql import SqlRunStore
from tests.postgres import PostgresServer
from tests.security.helpers import wait_for
from tests.store.factories import make_run

API = "/api/v1"
TRAINING: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 400}},
                            "batch_size": 32, "device": "cpu"}
pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    database = postgres_server.new_database()
    yield postgres_server.url(database)
    postgres_server.drop_database(database)


def _settings(tmp_path: Path, url: str, server_id: str) -> Settings:
    return Settings(home=tmp_path / server_id, database_url=url, server_id=server_id,
                    allowed_hosts=["testserver"], max_concurrent_runs=1)


def _create(client: TestClient, epochs: int) -> str:
    response = client.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                                "training": TRAINING | {"epochs": epochs}})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id


def test_servers_share_runs_and_control_their_own(tmp_path: Path, postgres_url: str) -> None:
    with TestClient(create_app(_settings(tmp_path, postgres_url, "a"))) as a:
        done = _create(a, epochs=2)
        assert wait_for(a, done, ("completed", "failed"))["status"] == "completed"
        live = _create(a, epochs=500)
        wait_for(a, live, ("running",))

        with TestClient(create_app(_settings(tmp_path, postgres_url, "b"))) as b:
            listed = {run["id"] for run in b.get(f"{API}/runs").json()["runs"]}
            assert {done, live} <= listed
            assert b.get(f"{API}/runs/{done}").json()["server"] == "a"
            metrics = b.get(f"{API}/runs/{done}/metrics").json()
            assert metrics == a.get(f"{API}/runs/{done}/metrics").json()
            assert len(metrics["step"]) > 0 and "train_loss" in metrics
            assert b.get(f"{API}/runs/{live}").json()["status"] == "running"
            for action in ("stop", "pause"):
                refused = b.post(f"{API}/runs/{live}/{action}")
                assert refused.status_code == 409, refused.text
                assert "on server a" in refused.json()["detail"]

        # b's start-up and shut-down left a's run training.
        assert a.get(f"{API}/runs/{live}").json()["status"] == "running"
        assert a.post(f"{API}/runs/{live}/stop").status_code == 202
        assert wait_for(a, live, ("stopped",))["server"] == "a"


def test_a_restarted_server_interrupts_only_its_own_runs(tmp_path: Path,
                                                         postgres_url: str) -> None:
    """As a server that died (no clean shut-down) leaves them: a's running and queued
    runs, and b's live one."""
    ids = {name: uuid.uuid4().hex for name in ("a_running", "a_queued", "b_running")}
    for name, run_id in ids.items():
        server, _, status = name.partition("_")
        store = SqlRunStore(postgres_url, server_id=server)
        try:
            store.create_run(make_run(run_id, status=status))
        finally:
            store.close()

    with TestClient(create_app(_settings(tmp_path, postgres_url, "a"))) as a:
        statuses = {name: a.get(f"{API}/runs/{run_id}").json()["status"]
                    for name, run_id in ids.items()}
    assert statuses == {"a_running": "interrupted", "a_queued": "interrupted",
                        "b_running": "running"}
