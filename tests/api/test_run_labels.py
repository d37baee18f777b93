"""A run's own labels and the one score every view shows for it: runs get distinct,
numbered names by default ("Toy MLP #3"), can be renamed, tagged and noted at any time,
and the runs table's summary carries the network, the epochs, the score with its epoch,
the test metrics and the duration."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MODELS_DIR
from tests.helpers import wait_for_status

API = "/api/v1"
TRAINING: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 200}},
                            "epochs": 2, "batch_size": 50, "device": "cpu",
                            "validation_split": 0.25}


def network(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((MODELS_DIR / "toy-mlp.json").read_text())
    spec.pop("training", None)
    return spec | {"name": name}


def create(client: TestClient, model: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/runs", json={"model": model, "training": TRAINING, **body})
    assert response.status_code == 201, response.text
    return response.json()


def finished(client: TestClient, run_id: str) -> dict[str, Any]:
    return wait_for_status(client, run_id, {"completed", "failed", "diverged", "stopped"}, 90)


def summary(client: TestClient, run_id: str) -> dict[str, Any]:
    runs = client.get(f"{API}/runs", params={"limit": 500}).json()["runs"]
    return next(run for run in runs if run["id"] == run_id)


def test_runs_get_distinct_numbered_names_by_default(client: TestClient) -> None:
    name = f"Net {uuid.uuid4().hex[:6]}"
    first = create(client, network(name))
    second = create(client, network(name))
    assert (first["name"], second["name"]) == (f"{name} #1", f"{name} #2")
    assert create(client, network(name), name="mine")["name"] == "mine"  # given: as given
    client.delete(f"{API}/runs/{first['id']}")
    assert create(client, network(name))["name"] == f"{name} #3"  # never a number again
    # a name that looks numbered, or holds what SQL reads as wildcards, counts literally
    odd = f"50%_{uuid.uuid4().hex[:4]}"
    assert create(client, network(odd))["name"] == f"{odd} #1"
    assert create(client, network(f"{odd} #7"))["name"] == f"{odd} #2"


def test_a_continued_run_gets_the_next_number(client: TestClient) -> None:
    name = f"Net {uuid.uuid4().hex[:6]}"
    run = finished(client, create(client, network(name))["id"])
    assert run["status"] == "completed"
    response = client.post(f"{API}/runs/{run['id']}/continue",
                           json={"training": TRAINING | {"epochs": 3}})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == f"{name} #2"
    finished(client, response.json()["id"])


def test_a_run_is_renamed_tagged_and_noted_in_any_status(client: TestClient) -> None:
    run = create(client, network("Labelled"))
    edited = client.patch(f"{API}/runs/{run['id']}", json={
        "name": " wide layers ", "tags": ["baseline", " relu", "baseline"],
        "description": "the one to beat"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["tags"], edited.json()["description"]) == (
        "wide layers", ["baseline", "relu"], "the one to beat")
    finished(client, run["id"])
    kept = client.patch(f"{API}/runs/{run['id']}", json={"tags": []}).json()
    assert (kept["name"], kept["tags"], kept["description"]) == (
        "wide layers", [], "the one to beat")  # left out: as it was
    listed = summary(client, run["id"])
    assert (listed["name"], listed["tags"], listed["description"]) == (
        "wide layers", [], "the one to beat")


@pytest.mark.parametrize("body", [{"name": "  "}, {"name": "x" * 121}, {"tags": ["x" * 41]},
                                  {"tags": [str(i) for i in range(21)]},
                                  {"description": "x" * 4001}, {"status": "completed"},
                                  {"tags": "baseline"}])
def test_labels_out_of_bounds_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    run = create(client, network("Bounded"))
    response = client.patch(f"{API}/runs/{run['id']}", json=body)
    assert response.status_code == 422, response.text
    assert client.get(f"{API}/runs/{run['id']}").json()["name"] == run["name"]  # unchanged
    client.post(f"{API}/runs/{run['id']}/stop")


def test_editing_a_missing_run_is_404(client: TestClient) -> None:
    assert client.patch(f"{API}/runs/{'0' * 32}", json={"name": "x"}).status_code == 404


def test_the_summary_shows_the_score_with_its_epoch_test_metrics_and_duration(
        client: TestClient) -> None:
    run = finished(client, create(client, network("Scored"))["id"])
    assert run["status"] == "completed"
    best = run["best_metrics"]["val_accuracy"]
    epoch = run["best_epochs"]["val_accuracy"]
    assert epoch in (1, 2)
    assert run["score"] == {"metric": "val_accuracy", "value": best, "epoch": epoch}
    listed = summary(client, run["id"])
    assert listed["score"] == run["score"]  # the same number for the same thing
    assert (listed["network"], listed["epochs"]) == ("Scored", 2)
    assert set(listed["test_metrics"]) >= {"test_loss", "test_accuracy"}
    assert 0 < listed["duration_s"] < 600
