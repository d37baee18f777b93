"""Sweeps over the REST API: trials queued as runs, ranked by the sweep's metric."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.runs.service import RunNotFound
from app.runs.sweeps import SweepNotFound
from tests.api.test_runs_api import API, TRAINING
from tests.helpers import wait_for_status

pytestmark = pytest.mark.slow
SMALL = TRAINING | {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 2,
                    "validation_split": 0.2}


def _sweep(client: TestClient, sweep: dict[str, Any], **body: Any) -> dict[str, Any]:
    answer = client.post(f"{API}/sweeps", json={"model": {"preset": "toy-mlp"},
                                               "training": SMALL, "sweep": sweep} | body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _finished(client: TestClient, sweep_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep: dict[str, Any] = client.get(f"{API}/sweeps/{sweep_id}").json()
        if sweep["status"] == "finished":
            return sweep
        time.sleep(0.2)
    raise AssertionError(f"sweep {sweep_id} did not finish")


def test_a_grid_runs_every_combination_and_names_the_best(client: TestClient) -> None:
    created = _sweep(client, {"parameters": {"optimizer.lr": [0.05, 0.0001],
                                             "layers.hidden1.units": [2, 16]}},
                     name="lr and width")
    assert created["name"] == "lr and width" and created["status"] == "running"
    assert [t["params"] for t in created["trials"]] == [
        {"optimizer.lr": 0.05, "layers.hidden1.units": 2},
        {"optimizer.lr": 0.05, "layers.hidden1.units": 16},
        {"optimizer.lr": 0.0001, "layers.hidden1.units": 2},
        {"optimizer.lr": 0.0001, "layers.hidden1.units": 16}]
    sweep = _finished(client, created["id"])
    assert sweep["counts"] == {"completed": 4}
    for trial in sweep["trials"]:
        run = client.get(f"{API}/runs/{trial['run_id']}").json()
        assert run["name"] == f"lr and width #{trial['number']}"
        assert run["training"]["optimizer"]["lr"] == trial["params"]["optimizer.lr"]
        assert run["spec"]["layers"][0]["units"] == trial["params"]["layers.hidden1.units"]
        assert trial["score"] == run["best_metrics"]["val_loss"]
    best = min(sweep["trials"], key=lambda t: t["score"])
    assert sweep["best_run_id"] == best["run_id"] and sweep["best_score"] == best["score"]
    assert best["params"]["optimizer.lr"] == 0.05  # 1e-4 barely moves in two epochs
    listed = client.get(f"{API}/sweeps").json()["sweeps"]
    summary = next(s for s in listed if s["id"] == created["id"])
    assert summary["best_run_id"] == best["run_id"] and summary["counts"] == {"completed": 4}


def test_a_random_search_ranks_by_a_metric_to_maximise(client: TestClient) -> None:
    created = _sweep(client, {"method": "random", "trials": 3, "seed": 5,
                              "metric": "test_accuracy", "parameters": {
                                  "optimizer.lr": {"low": 1e-3, "high": 0.1, "log": True},
                                  "batch_size": {"low": 8, "high": 64, "integer": True}}})
    lrs = [t["params"]["optimizer.lr"] for t in created["trials"]]
    assert len(set(lrs)) == 3 and all(1e-3 <= lr <= 0.1 for lr in lrs)
    sweep = _finished(client, created["id"])
    scores = [t["score"] for t in sweep["trials"]]
    assert all(0 <= s <= 1 for s in scores)
    assert sweep["best_score"] == max(scores)
    for trial in sweep["trials"]:
        assert trial["score"] == trial["test_metrics"]["test_accuracy"]


def test_a_trial_that_does_not_fit_queues_nothing(client: TestClient) -> None:
    before = len(client.get(f"{API}/runs", params={"limit": 500}).json()["runs"])
    answer = client.post(f"{API}/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": SMALL,
        "sweep": {"parameters": {"layers.hidden1.units": [4, 0]}}})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("trial 2 {'layers.hidden1.units': 0}:")
    answer = client.post(f"{API}/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": SMALL,
        "sweep": {"parameters": {"layers.conv9.filters": [4]}}})
    assert answer.status_code == 422
    assert "with a layer of this network: hidden1, hidden2, out" in answer.json()["detail"]
    answer = client.post(f"{API}/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": SMALL,
        "sweep": {"parameters": {"dataset.options.noise": [0.1, -3]}}})
    assert answer.status_code == 422 and "trial 2" in answer.json()["detail"]
    answer = client.post(f"{API}/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": SMALL,
        "sweep": {"method": "random", "parameters": {"epochs": [1, 2]}}})
    assert answer.status_code == 422 and "needs trials" in answer.text
    answer = client.post(f"{API}/sweeps", json={
        "model": {"preset": "no-such"}, "training": SMALL,
        "sweep": {"parameters": {"epochs": [1]}}})
    assert answer.status_code == 422 and "no preset named 'no-such'" in answer.text
    assert len(client.get(f"{API}/runs", params={"limit": 500}).json()["runs"]) == before
    answer = client.get(f"{API}/sweeps/{'0' * 32}")
    assert answer.status_code == 404 and answer.json()["detail"] == f"no sweep with id {'0' * 32!r}"


def test_a_missing_sweep_is_not_a_missing_run(client: TestClient) -> None:
    """Each answers its own 404: a trial's run id names no sweep, a sweep id no run."""
    assert not issubclass(SweepNotFound, RunNotFound)
    created = _sweep(client, {"parameters": {"seed": [1]}})
    run_id = created["trials"][0]["run_id"]
    for path, detail in ((f"sweeps/{run_id}", f"no sweep with id {run_id!r}"),
                         (f"sweeps/{run_id}/stop", f"no sweep with id {run_id!r}"),
                         (f"runs/{created['id']}", f"no run with id {created['id']!r}")):
        answer = (client.post if path.endswith("stop") else client.get)(f"{API}/{path}")
        assert answer.status_code == 404 and answer.json()["detail"] == detail, path
    _finished(client, created["id"])


def test_stop_then_delete_a_sweep_with_its_runs(client: TestClient) -> None:
    created = _sweep(client, {"parameters": {"seed": [1, 2, 3]}},
                     training=SMALL | {"epochs": 500, "dataset": {
                         "name": "xor", "options": {"n_samples": 2000}}})
    answer = client.delete(f"{API}/sweeps/{created['id']}")
    assert answer.status_code == 409 and "stop it before deleting it" in answer.text
    stopped = client.post(f"{API}/sweeps/{created['id']}/stop")
    assert stopped.status_code == 202
    sweep = _finished(client, created["id"])
    assert sweep["counts"] == {"stopped": 3} and sweep["best_run_id"] is None
    assert client.delete(f"{API}/sweeps/{created['id']}").status_code == 204
    assert client.get(f"{API}/sweeps/{created['id']}").status_code == 404
    for trial in created["trials"]:
        assert client.get(f"{API}/runs/{trial['run_id']}").status_code == 404


def test_a_paused_trial_resumes_with_its_sweep(client: TestClient) -> None:
    created = _sweep(client, {"parameters": {"seed": [1, 2]}},
                     training=SMALL | {"epochs": 400, "dataset": {
                         "name": "xor", "options": {"n_samples": 2000}}})
    first = created["trials"][0]["run_id"]
    wait_for_status(client, first, {"running"})
    assert client.post(f"{API}/runs/{first}/pause").status_code == 202
    wait_for_status(client, first, {"paused"})
    resumed = client.post(f"{API}/sweeps/{created['id']}/resume")
    assert resumed.status_code == 202
    assert resumed.json()["trials"][0]["status"] in ("queued", "running")
    client.post(f"{API}/sweeps/{created['id']}/stop")
    assert _finished(client, created["id"])["counts"] == {"stopped": 2}
    assert client.post(f"{API}/sweeps/{'0' * 32}/resume").status_code == 404
