"""A learner's runs of a lesson, judged through the API: each claim with the value its run
measured, unknown until the run completes, and flagged when the run changed the
experiment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_inspect_api import _create, _wait

API = "/api/v1"


def results(client: TestClient, lesson: str, runs: dict[str, str]) -> Any:
    return client.post(f"{API}/lessons/{lesson}/results", json={"runs": runs})


def test_each_claim_is_measured_on_the_learners_run(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/xor").json()
    plain, hidden = lesson["experiments"]
    ids = {e["id"]: _create(client, {"model": e["network"], "training": e["training"]})
           for e in (plain, hidden)}
    assert results(client, "xor", ids).status_code == 200  # while they train: unknown or known

    finished = {name: _wait(client, run_id) for name, run_id in ids.items()}
    assert all(run["status"] == "completed" for run in finished.values())
    answer = results(client, "xor", ids).json()
    assert [r["experiment"] for r in answer] == [plain["id"], hidden["id"]]
    for result in answer:
        run = finished[result["experiment"]]
        assert result["run_id"] == run["id"] and result["as_given"] is True
        for check in result["checks"]:
            claim = check["claim"]
            assert check["measured"] == run["test_metrics"][claim["metric"]]
            if claim["than"] is None:
                assert check["against"] == claim["value"]
            else:  # compared with the other experiment's run
                assert check["against"] == finished[claim["than"]]["test_metrics"][claim["metric"]]
            assert check["holds"] is True, check


def test_claims_stay_unknown_without_a_completed_run(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/xor").json()
    changed = lesson["experiments"][0]
    training = {**changed["training"], "epochs": 1}  # not the experiment as given
    run_id = _create(client, {"model": changed["network"], "training": training})
    answer = results(client, "xor", {changed["id"]: run_id, "add-a-hidden-layer": "gone"}).json()
    assert answer[0]["run_id"] == run_id and answer[0]["as_given"] is False
    assert answer[1]["run_id"] is None  # no such run: as if none was trained
    assert all(check["measured"] is None and check["holds"] is None
               for check in answer[1]["checks"])
    assert _wait(client, run_id)["status"] == "completed"
    # the hidden layer's comparison with the plain run: its bound is known, not its value
    answer = results(client, "xor", {changed["id"]: run_id}).json()
    measured = answer[0]["checks"][0]["measured"]
    assert measured is not None
    compared = answer[1]["checks"][2]
    assert compared["claim"]["than"] == changed["id"] and compared["against"] == measured
    assert compared["measured"] is None and compared["holds"] is None


def test_shape_claims_hold_without_a_run(client: TestClient) -> None:
    answer = results(client, "convolution-arithmetic", {}).json()
    checks = [check for result in answer for check in result["checks"] if "shape" in check["claim"]]
    assert checks and all(check["holds"] is True for check in checks)
    assert checks[0]["measured"] == checks[0]["claim"]["shape"]


def test_the_attention_example_holds_without_a_run(client: TestClient) -> None:
    answer = results(client, "attention", {}).json()
    (check,) = answer[0]["checks"]
    assert check["claim"]["scores"] == [112, 96] and check["against"] == [0.88, 0.12]
    assert check["measured"] == pytest.approx([0.8808, 0.1192], abs=1e-4)
    assert check["holds"] is True


def test_an_unknown_lesson_or_experiment_is_refused(client: TestClient) -> None:
    assert results(client, "nope", {}).status_code == 404
    wrong = results(client, "xor", {"nope": "r1"})
    assert wrong.status_code == 422
    assert "lesson 'xor' has no experiment nope" in wrong.json()["detail"]


def test_a_claim_on_the_weights_reads_the_runs_final_checkpoint(client: TestClient) -> None:
    lesson = client.get(f"{API}/lessons/overfitting").json()
    ids = {e["id"]: _create(client, {"model": e["network"], "training": e["training"]})
           for e in lesson["experiments"] if e["id"] in ("overfit", "l2", "l1")}
    assert all(_wait(client, run_id)["status"] == "completed" for run_id in ids.values())
    answer = {r["experiment"]: r for r in results(client, "overfitting", ids).json()}
    share, than_l2 = (c for c in answer["l1"]["checks"]
                      if c["claim"]["metric"] == "near_zero_weights")
    assert share["claim"]["value"] == 0.9 and 0.9 < share["measured"] <= 1.0
    assert share["holds"] is True
    # compared with the share of the l2 run's final weights, widened by the margin
    assert than_l2["claim"]["than"] == "l2" and than_l2["measured"] == share["measured"]
    assert than_l2["against"] is not None and than_l2["holds"] is True
    assert all(check["holds"] is True for result in answer.values()
               for check in result["checks"] if check["measured"] is not None)


def test_gradient_claims_read_the_norms_the_runs_report(client: TestClient,
                                                       record_property: Any) -> None:
    """Lesson 3's claims on the gradient: each epoch's norms come through the metrics
    endpoint, and a claim at epoch 1 measures the run's first epoch, compared with the
    sigmoid run's first epoch."""
    lesson = client.get(f"{API}/lessons/activations").json()
    chosen = [e for e in lesson["experiments"] if e["id"] in ("sigmoid", "relu")]
    ids = {e["id"]: _create(client, {"model": e["network"], "training": e["training"]})
           for e in chosen}
    assert all(_wait(client, run_id)["status"] == "completed" for run_id in ids.values())
    epochs = {name: client.get(f"{API}/runs/{run_id}/metrics").json()
              for name, run_id in ids.items()}
    for columns in epochs.values():
        rows = [i for i, s in enumerate(columns["epoch_seconds"]) if s is not None]
        assert len(rows) == 40
        for layer in ("h1", "h2", "h3", "h4", "h5", "h6", "out"):
            assert all(columns[f"grad_norm/{layer}"][i] > 0 for i in rows)
    first = {name: columns["grad_norm_ratio"][next(
        i for i, s in enumerate(columns["epoch_seconds"]) if s is not None)]
        for name, columns in epochs.items()}
    answer = {r["experiment"]: r for r in results(client, "activations", ids).json()}
    (vanishes,) = [c for c in answer["sigmoid"]["checks"]
                   if c["claim"]["metric"] == "grad_norm_ratio"]
    assert vanishes["measured"] < 1e-4 and vanishes["holds"] is True
    at_first = next(c for c in answer["relu"]["checks"] if c["claim"].get("epoch") == 1)
    assert at_first["measured"] == pytest.approx(first["relu"])
    assert at_first["against"] == pytest.approx(first["sigmoid"] + at_first["claim"]["margin"])
    record_property("detail", f"grad_norm_ratio: sigmoid {vanishes['measured']:.3g} at the "
                    f"end; at epoch 1 sigmoid {first['sigmoid']:.3g}, relu {first['relu']:.3g}")
    failing = [(name, check) for name in ids for check in answer[name]["checks"]
               if check["holds"] is not True]
    assert not failing
