"""Transfer learning and edited continuations over the REST API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_runs_api import API, TRAINING, _create, _wait

pytestmark = pytest.mark.slow


def _preset(client: TestClient) -> dict[str, Any]:
    spec: dict[str, Any] = client.get(f"{API}/presets/toy-mlp").json()
    return spec


def test_a_run_starts_from_another_runs_weights(client: TestClient) -> None:
    source = _create(client)
    assert _wait(client, source["id"])["status"] == "completed"
    spec = _preset(client)
    spec["layers"][0]["trainable"] = False
    spec["layers"][-1] = {"id": "head", "type": "dense", "units": 2}
    created = client.post(f"{API}/runs", json={
        "model": spec, "training": TRAINING | {"layer_lr": {"hidden2": 0.1}},
        "init_from": {"run_id": source["id"]}})
    assert created.status_code == 201, created.text
    origin = created.json()["origin"]
    assert origin["kind"] == "transfer" and origin["run_id"] == source["id"]
    assert origin["loaded"] == ["hidden1", "hidden2"]
    assert origin["skipped"] == [{"layer": "head",
                                  "reason": "the source has no layer with this id"}]
    assert _wait(client, created.json()["id"])["status"] == "completed"
    listed = client.get(f"{API}/runs").json()["runs"]
    assert next(r for r in listed if r["id"] == created.json()["id"])["origin"] == origin


def test_transfer_mistakes_are_422s_naming_the_cause(client: TestClient) -> None:
    source = _create(client, epochs=1)
    _wait(client, source["id"])
    other = {"input": {"shape": [2]}, "layers": [{"id": "x", "type": "dense", "units": 2}]}
    body = {"model": other, "training": TRAINING, "init_from": {"run_id": source["id"]}}
    answer = client.post(f"{API}/runs", json=body)
    assert answer.status_code == 422
    assert "x: the source has no layer with this id" in answer.json()["detail"]
    body["init_from"] = {"run_id": "0" * 32}
    assert client.post(f"{API}/runs", json=body).status_code == 404
    body["init_from"] = {"run_id": "../etc"}
    assert client.post(f"{API}/runs", json=body).status_code == 422
    bad_lr = {"model": {"preset": "toy-mlp"}, "training": TRAINING | {"layer_lr": {"nope": 2}}}
    answer = client.post(f"{API}/runs", json=bad_lr)
    assert answer.status_code == 422 and "'nope'" in answer.json()["detail"]


def test_pause_edit_and_continue(client: TestClient) -> None:
    run = _create(client, epochs=400, dataset={"name": "circle",
                                               "options": {"n_samples": 2000}})
    while client.get(f"{API}/runs/{run['id']}").json()["epoch"] < 1:
        time.sleep(0.1)
    assert client.post(f"{API}/runs/{run['id']}/pause").status_code == 202
    paused = _wait(client, run["id"])
    assert paused["status"] == "paused"
    wider = _preset(client)
    wider["layers"][1]["units"] = 16
    broken = {**wider, "layers": [*wider["layers"][:2],
                                  {"id": "out", "type": "add", "inputs": ["hidden1", "input"]}]}
    answer = client.post(f"{API}/runs/{run['id']}/continue", json={"model": broken})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["layer_id"] == "out"
    answer = client.post(f"{API}/runs/{run['id']}/continue", json={
        "model": wider, "training": TRAINING | {"epochs": paused["epoch"] + 2,
                                                "optimizer": {"lr": 0.01}}})
    assert answer.status_code == 201, answer.text
    child = answer.json()
    assert child["origin"]["kind"] == "edit" and child["origin"]["step"] == paused["step"]
    assert child["origin"]["loaded"] == ["hidden1"]
    done = _wait(client, child["id"])
    assert done["status"] == "completed" and done["epoch"] == paused["epoch"] + 2
    steps = client.get(f"{API}/runs/{child['id']}/metrics?names=train_loss").json()["step"]
    assert steps[0] == paused["step"] + 1
    assert client.get(f"{API}/runs/{run['id']}").json()["status"] == "paused"
    running = _create(client, epochs=400)
    answer = client.post(f"{API}/runs/{running['id']}/continue", json={})
    assert answer.status_code == 409
    client.post(f"{API}/runs/{running['id']}/stop")
