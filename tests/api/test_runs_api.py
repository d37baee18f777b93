"""The runs REST API and the live stream, against real worker processes."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

API = "/api/v1"
TRAINING: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 400}},
                            "epochs": 3, "batch_size": 32, "device": "cpu"}
pytestmark = pytest.mark.slow


def _wait(client: TestClient, run_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"{API}/runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "diverged", "stopped", "paused"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def _create(client: TestClient, **training: Any) -> dict[str, Any]:
    response = client.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"},
                                                "training": TRAINING | training})
    assert response.status_code == 201, response.text
    return response.json()


def _stream(client: TestClient, run_id: str, **headers: str) -> list[dict[str, Any]]:
    messages = []
    with client.websocket_connect(f"{API}/runs/{run_id}/stream", headers=headers) as ws:
        while True:
            try:
                messages.append(json.loads(ws.receive_text()))
            except WebSocketDisconnect:
                return messages
            if messages[-1]["kind"] == "finished":
                return messages


def test_run_lifecycle_over_rest_and_stream(client: TestClient) -> None:
    created = _create(client, epochs=5)
    assert created["status"] == "queued" and created["spec"]["name"]
    messages = _stream(client, created["id"])
    assert messages[0]["kind"] == "snapshot"
    assert messages[-1]["kind"] == "finished" and messages[-1]["status"] == "completed"
    kinds = {m["kind"] for m in messages}
    assert {"metrics", "epoch"} <= kinds
    streamed = [s for m in messages if m["kind"] == "metrics" for s in m["step"]]
    streamed = [*messages[0]["metrics"]["steps"]["step"], *streamed]
    stored = client.get(f"{API}/runs/{created['id']}/metrics?names=train_loss").json()
    assert stored["step"] == sorted(set(streamed))  # nothing lost, nothing twice
    run = _wait(client, created["id"])
    assert run["device"].startswith("cpu (") and run["test_metrics"]["test_accuracy"] > 0.5
    assert run["started_at"] and run["finished_at"]


def test_a_late_joiner_gets_everything_in_the_snapshot(client: TestClient) -> None:
    run_id = _create(client)["id"]
    _wait(client, run_id)
    messages = _stream(client, run_id)
    assert [m["kind"] for m in messages] == ["snapshot"]
    snapshot = messages[0]
    assert snapshot["run"]["status"] == "completed"
    steps, epochs = snapshot["metrics"]["steps"], snapshot["metrics"]["epochs"]
    assert steps["step"] == list(range(1, snapshot["run"]["step"] + 1))
    assert set(steps["values"]) == {"train_loss", "train_accuracy"}
    # one row per epoch, named as the epoch events name them (no storage prefixes)
    assert epochs["epoch"] == [0, 1, 2] and epochs["step"][-1] == snapshot["run"]["step"]
    assert {"val_loss", "val_accuracy", "train_loss", "lr"} <= set(epochs["values"])
    assert all(v is not None for v in epochs["values"]["val_loss"])
    assert len(epochs["seconds"]) == 3 and all(s > 0 for s in epochs["seconds"])
    # the same over plain HTTP, on the stream's own path
    assert client.get(f"{API}/runs/{run_id}/stream").json() == snapshot


def test_metrics_filters(client: TestClient) -> None:
    run_id = _create(client)["id"]
    _wait(client, run_id)
    all_rows = client.get(f"{API}/runs/{run_id}/metrics").json()
    assert {"step", "epoch", "train_loss", "val_loss", "epoch_train_loss"} <= set(all_rows)
    later = client.get(f"{API}/runs/{run_id}/metrics?names=val_loss&since_step=20").json()
    assert set(later) == {"step", "epoch", "val_loss"}
    assert all(step > 20 for step in later["step"])


def test_metrics_come_at_a_charts_resolution_or_row_by_row(client: TestClient) -> None:
    run_id = _create(client)["id"]
    last = _wait(client, run_id)["step"]
    every = client.get(f"{API}/runs/{run_id}/metrics?points=0&names=train_loss")
    assert every.json()["step"] == list(range(1, last + 1))
    assert (every.headers["X-Steps"], every.headers["X-Downsampled"],
            every.headers["X-Last-Step"]) == (str(last), "false", str(last))
    thin = client.get(f"{API}/runs/{run_id}/metrics?points=4&names=train_loss")
    assert thin.headers["X-Downsampled"] == "true" and thin.headers["X-Steps"] == str(last)
    losses = dict(zip(thin.json()["step"], thin.json()["train_loss"], strict=True))
    assert len(losses) <= 4 + 2 and {1, last} <= set(losses)  # the first and last rows
    full = dict(zip(every.json()["step"], every.json()["train_loss"], strict=True))
    assert max(full.values()) in losses.values() and min(full.values()) in losses.values()
    window = client.get(f"{API}/runs/{run_id}/metrics?points=0&since_step=5&until_step=9")
    assert window.json()["step"] == [6, 7, 8, 9] and window.headers["X-Steps"] == "4"


def test_list_filter_and_pagination(client: TestClient) -> None:
    first, second = _create(client)["id"], _create(client)["id"]
    _wait(client, first), _wait(client, second)
    listing = client.get(f"{API}/runs?limit=2").json()
    assert [r["id"] for r in listing["runs"]] == [second, first]
    assert listing["runs"][0]["dataset"] == "circle"
    assert client.get(f"{API}/runs?limit=1&offset=1").json()["runs"][0]["id"] == first
    assert all(r["status"] == "completed"
               for r in client.get(f"{API}/runs?status=completed").json()["runs"])
    assert client.get(f"{API}/runs?limit=0").status_code == 422
    assert client.get(f"{API}/runs?status=bogus").status_code == 422


def test_the_list_searches_sorts_and_counts_every_run(client: TestClient) -> None:
    """Search, filters and sorts run in the store over every run, with the total beside
    the page; a parameter the list does not know is refused, never ignored."""
    tagged = _create(client, seed=1)["id"]
    assert client.patch(f"{API}/runs/{tagged}", json={"tags": ["needle-42"]}).status_code == 200
    _wait(client, tagged)
    found = client.get(f"{API}/runs", params={"q": "NEEDLE-42"}).json()
    assert [r["id"] for r in found["runs"]] == [tagged] and found["total"] == 1
    everything = client.get(f"{API}/runs", params={"limit": 1}).json()
    assert everything["total"] >= 1 and len(everything["runs"]) == 1
    found = client.get(f"{API}/runs", params={
        "dataset": "circle", "task": "classification", "status": "completed", "limit": 500,
        "sort": "score", "order": "desc"}).json()
    scores = [r["score"]["value"] for r in found["runs"] if r["score"]]
    assert tagged in [r["id"] for r in found["runs"]] and scores == sorted(scores, reverse=True)
    assert client.get(f"{API}/runs/{tagged}").json()["task"] == "classification"
    either = client.get(f"{API}/runs?q=needle-42&status=failed&status=completed").json()
    assert [r["id"] for r in either["runs"]] == [tagged]
    assert client.get(f"{API}/runs?q=needle-42&status=failed").json()["total"] == 0
    for bad in ({"sort": "colour"}, {"order": "up"}, {"stauts": "completed"},
                {"task": "painting"}):
        response = client.get(f"{API}/runs", params=bad)
        assert response.status_code == 422, bad


def test_state_rules_and_delete(client: TestClient) -> None:
    run_id = _create(client)["id"]
    _wait(client, run_id)
    for action in ("pause", "resume", "stop"):
        response = client.post(f"{API}/runs/{run_id}/{action}")
        assert response.status_code == 409, action
        assert "completed" in response.json()["detail"]
    assert client.delete(f"{API}/runs/{run_id}").status_code == 204
    assert client.get(f"{API}/runs/{run_id}").status_code == 404


@pytest.mark.parametrize("path", ["", "/metrics"])
def test_unknown_runs_are_404(client: TestClient, path: str) -> None:
    assert client.get(f"{API}/runs/{'0' * 32}{path}").status_code == 404
    assert client.get(f"{API}/runs/..%2F..%2Fetc{path}").status_code == 404


def test_unknown_run_actions_are_404(client: TestClient) -> None:
    for action in ("stop", "pause", "resume"):
        assert client.post(f"{API}/runs/nope/{action}").status_code == 404
    assert client.delete(f"{API}/runs/nope").status_code == 404


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"model": {"preset": "nope"}, "training": TRAINING}, 422, "no preset named"),
    ({"model": {"input": {"shape": [2]}, "layers": [{"id": "x", "type": "dense"}]},
      "training": TRAINING}, 422, "units"),
    ({"model": {"preset": "toy-mlp"}, "training": TRAINING | {"dataset": {"name": "digits"}}},
     422, "set input.shape to [64]"),
    ({"model": {"preset": "toy-mlp"}, "training": TRAINING | {"epochs": 0}}, 422, "epochs"),
    ({"model": {"preset": "toy-mlp"}, "training": TRAINING | {"precision": "fp8"}}, 422,
     "precision"),
    ({"model": {"preset": "toy-mlp"}, "training": TRAINING | {"task": "gan", "compile": True}},
     422, "compile is not available for task gan"),
])
def test_bad_runs_are_refused(client: TestClient, body: dict[str, Any], status: int,
                              words: str) -> None:
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == status
    assert words in json.dumps(response.json())


def test_each_epoch_stores_the_runs_peak_memory(client: TestClient) -> None:
    """Beside each epoch's metrics, like its time; not a metric of the network, so it is
    not among the best ones."""
    run_id = _create(client, precision="bf16")["id"]
    epochs = [m for m in _stream(client, run_id) if m["kind"] == "epoch"]
    assert all(m["memory_mb"] > 10 for m in epochs)
    run = _wait(client, run_id)
    assert run["status"] == "completed"
    stored = client.get(f"{API}/runs/{run_id}/metrics?names=epoch_memory_mb").json()
    peaks = [v for v in stored["epoch_memory_mb"] if v is not None]
    assert len(peaks) == 3 and all(v > 10 for v in peaks)  # a worker with PyTorch loaded
    assert not [name for name in run["best_metrics"] if "memory" in name]


def test_a_diverged_run_streams_nulls_not_nan(client: TestClient) -> None:
    body = {"model": {"input": {"shape": [1]}, "layers": [
        {"id": "out", "type": "dense", "units": 1}]},
        "training": {"dataset": {"name": "sine"}, "epochs": 5, "device": "cpu",
                     "optimizer": {"name": "sgd", "lr": 10.0}, "report_every": 1}}
    run_id = client.post(f"{API}/runs", json=body).json()["id"]
    last = _stream(client, run_id)[-1]  # a snapshot alone when it diverged before we came
    assert (last["status"] if last["kind"] == "finished" else last["run"]["status"]) == "diverged"
    run = _wait(client, run_id)
    assert run["status"] == "diverged" and "step" in run["error"]
    losses = client.get(f"{API}/runs/{run_id}/metrics?names=train_loss").json()["train_loss"]
    assert None in losses


def test_stream_rules(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as missing:
        _stream(client, "0" * 32)
    assert missing.value.code == 4404
    run_id = _create(client)["id"]
    with pytest.raises(WebSocketDisconnect) as foreign:
        _stream(client, run_id, origin="http://evil.example")
    assert foreign.value.code == 4403
    messages = _stream(client, run_id, origin="http://testserver")
    assert messages[0]["kind"] == "snapshot"


def test_datasets_endpoints(client: TestClient) -> None:
    listing = {d["name"]: d for d in client.get(f"{API}/datasets").json()}
    assert listing["circle"]["tasks"] == ["classification"]
    assert listing["chars"]["vocab_size"] == 64
    assert "upload_id" in listing["csv"]["options_schema"]["properties"]
    detail = client.get(f"{API}/datasets/digits?samples=3").json()
    assert len(detail["preview"]) == 3 and len(detail["preview"][0]["x"]) == 64
    assert client.get(f"{API}/datasets/nope").status_code == 404
    assert client.get(f"{API}/datasets/mnist").status_code == 200  # files absent: no preview


def test_csv_upload_then_train(client: TestClient) -> None:
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'a' if i % 2 else 'b'}" for i in range(60))
    upload = client.post(f"{API}/datasets/csv/uploads", content=f"x,y,label\n{rows}\n",
                         headers={"content-type": "text/csv"})
    assert upload.status_code == 201
    options = {"upload_id": upload.json()["upload_id"], "target": "label"}
    body = {"model": {"input": {"shape": [2]}, "layers": [
        {"id": "out", "type": "dense", "units": 2}]},
        "training": {"dataset": {"name": "csv", "options": options}, "epochs": 2}}
    run = client.post(f"{API}/runs", json=body)
    assert run.status_code == 201, run.text
    assert _wait(client, run.json()["id"])["status"] == "completed"
    assert client.post(f"{API}/datasets/csv/uploads", content="",
                       headers={"content-type": "text/csv"}).status_code == 422


def test_exports_of_a_trained_run(client: TestClient) -> None:
    import io
    import zipfile

    from safetensors.torch import load

    run_id = _create(client)["id"]
    _wait(client, run_id)
    weights = client.get(f"{API}/runs/{run_id}/export/safetensors")
    assert weights.status_code == 200
    assert set(load(weights.content)) == {"hidden1.0.weight", "hidden1.0.bias",
                                          "hidden2.0.weight", "hidden2.0.bias",
                                          "out.weight", "out.bias"}
    package = client.get(f"{API}/runs/{run_id}/export/pytorch")
    assert package.headers["content-type"] == "application/zip"
    assert "model.py" in zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert client.get(f"{API}/runs/{run_id}/export/pickle").status_code == 422
    assert client.get(f"{API}/runs/{'0' * 32}/export/onnx").status_code == 404
