"""Uploaded CSV tables live in the server's own home (never a cache shared by every server
on the machine), within a quota, and can be listed and deleted through the API, except
while a run that trains (or may train again) on one still needs it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.client import LayerLab
from app.settings import Settings
from tests.reliability.servers import ServerProcess, wait_until

API = "/api/v1"
UPLOADS = f"{API}/datasets/csv/uploads"
QUOTA = 3_000_000
CSV_TYPE = {"content-type": "text/csv"}
ROWS = "\n".join(f"{i % 7},{(i * 3) % 5},{'a' if i % 2 else 'b'}" for i in range(60))
TABLE = f"x,y,label\n{ROWS}\n".encode()
FINAL = ("completed", "stopped", "failed", "diverged", "interrupted")


def megabyte_table() -> bytes:
    """A valid table of just under 1 MiB (the default body limit)."""
    return b"a,b\n" + b"1,2\n" * (2**20 // 4 - 2)


def training(upload_id: str, epochs: int = 1) -> dict[str, Any]:
    return {"dataset": {"name": "csv", "options": {"upload_id": upload_id, "target": "label"}},
            "epochs": epochs, "batch_size": 8, "device": "cpu"}


MODEL = {"input": {"shape": [2]}, "layers": [{"id": "out", "type": "dense", "units": 2}]}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads") / "home"


@pytest.fixture(scope="module")
def client(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app whose home is given in its settings only: LAYERLAB_HOME and
    LAYERLAB_DATA_DIR point elsewhere, so neither its requests nor its workers may
    fall back on them."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAYERLAB_HOME", str(elsewhere / "home"))
        env.setenv("LAYERLAB_DATA_DIR", str(elsewhere / "cache"))
        settings = Settings(home=home, allowed_hosts=["testserver"], upload_quota_bytes=QUOTA)
        with TestClient(create_app(settings)) as test_client:
            yield test_client
        assert not (elsewhere / "home").exists() and not (elsewhere / "cache").exists()


def wait_final(client: TestClient, run_id: str) -> dict[str, Any]:
    return wait_until(lambda: (run := client.get(f"{API}/runs/{run_id}").json())["status"]
                      in FINAL and run, timeout=120, what=f"run {run_id} ending")


def test_upload_is_kept_in_the_servers_home_and_trains(client: TestClient, home: Path,
                                                       record_property: pytest.RecordProperty
                                                       ) -> None:
    upload = client.post(UPLOADS, content=TABLE, headers=CSV_TYPE)
    assert upload.status_code == 201, upload.text
    upload_id = upload.json()["upload_id"]
    assert (home / "uploads" / f"{upload_id}.csv").read_bytes() == TABLE
    run = client.post(f"{API}/runs", json={"model": MODEL, "training": training(upload_id)})
    assert run.status_code == 201, run.text
    assert wait_final(client, run.json()["id"])["status"] == "completed"  # the worker found it
    record_property("detail", "upload in the settings' home (LAYERLAB_HOME elsewhere); its "
                              "worker trained on it: completed")


def test_uploads_are_listed_with_size_and_time(client: TestClient, home: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    upload_id = client.post(UPLOADS, content=TABLE, headers=CSV_TYPE).json()["upload_id"]
    listed = client.get(UPLOADS).json()
    first = listed["uploads"][0]
    assert first["upload_id"] == upload_id and first["size"] == len(TABLE)
    assert datetime.fromisoformat(first["created_at"]) >= before
    files = list((home / "uploads").glob("*.csv"))
    assert len(listed["uploads"]) == len(files)
    assert listed["used_bytes"] == sum(f.stat().st_size for f in files)
    assert listed["quota_bytes"] == QUOTA
    assert client.delete(f"{UPLOADS}/{upload_id}").status_code == 204
    assert not (home / "uploads" / f"{upload_id}.csv").exists()
    assert upload_id not in [u["upload_id"] for u in client.get(UPLOADS).json()["uploads"]]
    gone = client.delete(f"{UPLOADS}/{upload_id}")
    assert gone.status_code == 404 and upload_id in gone.json()["detail"]
    for bad in ("../../etc/passwd", "x" * 32, "0" * 31):
        assert client.delete(f"{UPLOADS}/{bad}").status_code in (404, 422)


def test_quota_refuses_with_how_to_free_space(client: TestClient, home: Path,
                                              record_property: pytest.RecordProperty) -> None:
    for upload in client.get(UPLOADS).json()["uploads"]:
        client.delete(f"{UPLOADS}/{upload['upload_id']}")
    accepted: list[str] = []
    started = time.monotonic()
    while True:
        response = client.post(UPLOADS, content=megabyte_table(), headers=CSV_TYPE)
        if response.status_code != 201:
            break
        accepted.append(response.json()["upload_id"])
        assert len(accepted) < 10, "the quota never applied"
    took = time.monotonic() - started
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert "quota" in detail and "DELETE /api/v1/datasets/csv/uploads/{id}" in detail
    stored = sum(f.stat().st_size for f in (home / "uploads").iterdir())
    assert stored <= QUOTA and len(accepted) == QUOTA // len(megabyte_table())
    assert not list((home / "uploads").glob(".*.part"))
    assert client.delete(f"{UPLOADS}/{accepted[0]}").status_code == 204
    assert client.post(UPLOADS, content=megabyte_table(), headers=CSV_TYPE).status_code == 201
    record_property("detail", f"{len(accepted)} x 1 MiB stored then 413 at a {QUOTA:,}-byte "
                              f"quota ({stored:,} bytes on disk, {took:.2f} s); one deleted, "
                              "the next accepted")


def test_delete_refused_while_a_run_uses_it(client: TestClient, home: Path,
                                            record_property: pytest.RecordProperty) -> None:
    for upload in client.get(UPLOADS).json()["uploads"]:
        client.delete(f"{UPLOADS}/{upload['upload_id']}")
    upload_id = client.post(UPLOADS, content=TABLE, headers=CSV_TYPE).json()["upload_id"]
    run = client.post(f"{API}/runs", json={"model": MODEL, "name": "long csv run",
                                           "training": training(upload_id, epochs=10_000)})
    run_id = run.json()["id"]
    refused = client.delete(f"{UPLOADS}/{upload_id}")
    status = client.get(f"{API}/runs/{run_id}").json()["status"]
    assert refused.status_code == 409, refused.text
    assert run_id in refused.json()["detail"]
    assert (home / "uploads" / f"{upload_id}.csv").is_file()
    wait_until(lambda: client.post(f"{API}/runs/{run_id}/stop").status_code == 202
               or client.get(f"{API}/runs/{run_id}").json()["status"] in FINAL,
               what="the run accepting stop")
    assert wait_final(client, run_id)["status"] == "stopped"
    assert client.delete(f"{UPLOADS}/{upload_id}").status_code == 204
    record_property("detail", f"delete while the run was {status}: 409 naming it; once "
                              "stopped: 204")


def test_a_real_server_keeps_uploads_in_layerlab_home(tmp_path: Path,
                                                      record_property: pytest.RecordProperty
                                                      ) -> None:
    """`layerlab serve` with LAYERLAB_HOME set: uploads under it, none in LAYERLAB_DATA_DIR."""
    cache = tmp_path / "cache"
    with ServerProcess(tmp_path / "home", LAYERLAB_DATA_DIR=str(cache)) as server, \
            LayerLab(server.url) as lab:
        upload_id = lab.upload_csv(TABLE)
        assert (tmp_path / "home" / "uploads" / f"{upload_id}.csv").read_bytes() == TABLE
        assert [u["upload_id"] for u in lab.uploads()["uploads"]] == [upload_id]
        lab.delete_upload(upload_id)
        assert lab.uploads()["uploads"] == []
    assert not (cache / "uploads").exists()
    record_property("detail", "layerlab serve: upload in LAYERLAB_HOME/uploads, listed, "
                              "deleted; none in LAYERLAB_DATA_DIR")
