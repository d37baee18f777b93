"""The inspection REST API (/runs/{id}/inspect/...) over real trained runs.

Four small runs are trained once for the whole module, side by side: a 2-D toy
classifier on xor (watched on its live stream from the start), a small CNN on the 8x8
digits, a character transformer for one epoch and a regression that diverges in its
first epoch (so it never has weights)."""

from __future__ import annotations

import base64
import io
import json
import math
import time
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from starlette.websockets import WebSocketDisconnect

from app.datasets.sequences import VOCAB
from app.inspect import decode
from app.spec.arrays import EncodedArray

API = "/api/v1"
pytestmark = pytest.mark.slow
FINAL = ("completed", "failed", "diverged", "stopped", "paused")

XOR_EPOCHS = 40
XOR: dict[str, Any] = {
    "model": {"preset": "toy-mlp"},
    "training": {"dataset": {"name": "xor", "options": {"n_samples": 400, "noise": 0.02}},
                 "epochs": XOR_EPOCHS, "batch_size": 32, "validation_split": 0.25,
                 "optimizer": {"name": "adam", "lr": 0.05}, "device": "cpu"},
}
XOR_VAL = int(320 * 0.25)  # 400 points: 80 for test, then a quarter of the 320 left
CNN: dict[str, Any] = {
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same",
         "activation": "relu"},
        {"id": "pool", "type": "maxpool2d", "pool_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 10}]},
    "training": {"dataset": {"name": "digits", "options": {"layout": "image"}},
                 "epochs": 3, "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.01},
                 "device": "cpu"},
}
DIGITS_TEST = round(1797 * 0.2)  # 359
CHARS_OPTIONS = {"seq_len": 64, "stride": 16}
CHARS: dict[str, Any] = {
    "model": {"preset": "char-transformer"},
    "training": {"dataset": {"name": "chars", "options": CHARS_OPTIONS}, "epochs": 1,
                 "batch_size": 64, "device": "cpu"},
}
FORECAST: dict[str, Any] = {
    "model": {"preset": "lstm-sequence"},
    "training": {"dataset": {"name": "sine-forecast", "options": {"n_samples": 400}},
                 "epochs": 2, "batch_size": 32, "device": "cpu"},
}
FORECAST_TEST = 80  # 400 windows, a fifth for test
DIVERGING: dict[str, Any] = {  # a linear regression with a huge step: inf within an epoch
    "model": {"input": {"shape": [1]}, "layers": [{"id": "out", "type": "dense", "units": 1}]},
    "training": {"dataset": {"name": "sine"}, "epochs": 3, "batch_size": 4, "device": "cpu",
                 "optimizer": {"name": "sgd", "lr": 10.0}, "report_every": 1},
}


@dataclass
class Runs:
    xor: str
    cnn: str
    chars: str
    diverged: str
    forecast: str
    xor_stream: list[dict[str, Any]]


def _create(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _wait(client: TestClient, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"{API}/runs/{run_id}").json()
        if run["status"] in FINAL:
            return dict(run)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.fixture(scope="module")
def runs(client: TestClient) -> Runs:
    """Train the module's runs once, two at a time (the server's limit). The xor run's
    stream is joined right after the run is created (its 40 epochs take seconds), so it
    carries the live events, boundaries included; a snapshot has only the metrics."""
    xor = _create(client, XOR)
    messages: list[dict[str, Any]] = []
    with client.websocket_connect(f"{API}/runs/{xor}/stream") as ws:
        messages.append(json.loads(ws.receive_text()))  # the snapshot: we have joined
        diverged = _create(client, DIVERGING)
        while messages[-1]["kind"] != "finished":
            try:
                messages.append(json.loads(ws.receive_text()))
            except WebSocketDisconnect:
                break
    cnn, chars, forecast = _create(client, CNN), _create(client, CHARS), _create(client, FORECAST)
    finished = {run_id: _wait(client, run_id) for run_id in (xor, diverged, cnn, chars, forecast)}
    for run_id in (xor, cnn, chars, forecast):
        assert finished[run_id]["status"] == "completed", finished[run_id]
    assert finished[diverged]["status"] == "diverged", finished[diverged]
    assert finished[diverged]["epoch"] == 0  # before any epoch's end: no weights at all
    return Runs(xor, cnn, chars, diverged, forecast, xor_stream=messages)


def _array(data: Any) -> torch.Tensor:
    """An EncodedArray in JSON, decoded; its values must fill its stated shape."""
    encoded = EncodedArray.model_validate(data)
    values = decode(encoded)
    assert list(values.shape) == encoded.shape
    return values


def _inspect(client: TestClient, run_id: str, view: str, body: dict[str, Any] | None = None,
             status: int = 200, **query: Any) -> Any:
    url = f"{API}/runs/{run_id}/inspect/{view}"
    response = client.get(url, params=query) if body is None else client.post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def _png(width: int, height: int, mode: str = "L") -> str:
    rng = np.random.default_rng(0)
    channels = {"L": (), "RGB": (3,), "RGBA": (4,)}[mode]
    pixels = rng.integers(0, 256, (height, width, *channels), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _encoded(values: list[float]) -> dict[str, Any]:
    raw = np.asarray(values, dtype="<f4").tobytes()
    return {"shape": [len(values)], "dtype": "float32", "data": base64.b64encode(raw).decode()}


# --- a 2-D toy classifier (xor) ---------------------------------------------------------

def test_activations_of_every_layer(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "activations", {"sample": 0})
    assert list(_array(answer["input"]).shape) == [2]
    assert [(a["id"], a["type"], a["shape"], a["kind"]) for a in answer["layers"]] == [
        ("hidden1", "dense", [8], "vector"), ("hidden2", "dense", [8], "vector"),
        ("out", "dense", [2], "vector")]
    for layer in answer["layers"]:
        values = _array(layer["values"])
        assert list(values.shape) == layer["shape"] and layer["cut"] is None
        assert layer["min"] <= layer["max"]
        assert values.min().item() == pytest.approx(layer["min"], abs=1e-2, rel=1e-2)
        assert values.max().item() == pytest.approx(layer["max"], abs=1e-2, rel=1e-2)
    for name in ("hidden1", "hidden2"):  # tanh
        layer = next(a for a in answer["layers"] if a["id"] == name)
        assert -1 <= layer["min"] <= layer["max"] <= 1
    only = _inspect(client, runs.xor, "activations", {"sample": 0, "layers": ["out"]})
    assert [a["id"] for a in only["layers"]] == ["out"]


def test_predict_a_sample_and_an_array(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "predict", {"sample": 0})
    assert answer["output"] == "classes"
    assert len(answer["probabilities"]) == 2
    assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert {t["index"] for t in answer["top"]} == {0, 1}
    assert {t["name"] for t in answer["top"]} == {"0", "1"}
    # xor: class 1 where both coordinates share a sign
    for point, cls in (([0.5, 0.5], 1), ([-0.5, 0.5], 0), ([0.5, -0.5], 0),
                       ([-0.5, -0.5], 1)):
        answer = _inspect(client, runs.xor, "predict", {"array": _encoded(point)})
        assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-5)
        assert answer["top"][0]["index"] == cls, point
        assert answer["probabilities"][cls] > 0.5


def test_decision_boundary(client: TestClient, runs: Runs) -> None:
    grid = _inspect(client, runs.xor, "boundary", resolution=64)
    assert grid["resolution"] == 64
    predicted = EncodedArray.model_validate(grid["predicted"])
    assert predicted.dtype == "uint8" and predicted.shape == [64, 64]
    classes = _array(grid["predicted"])
    assert set(classes.unique().tolist()) == {0, 1}
    confidence = _array(grid["confidence"])
    assert confidence.shape == (64, 64) and confidence.min() >= 127  # p >= 0.5 of 2 classes
    (x0, x1), (y0, y1) = grid["x_range"], grid["y_range"]
    xs, ys = torch.linspace(x0, x1, 64), torch.linspace(y0, y1, 64)
    for (x, y), cls in (((0.5, 0.5), 1), ((-0.5, -0.5), 1), ((0.5, -0.5), 0),
                        ((-0.5, 0.5), 0)):
        row, column = (ys - y).abs().argmin(), (xs - x).abs().argmin()  # row = y
        assert classes[row, column] == cls, (x, y)
    points, labels = _array(grid["points"]), _array(grid["labels"])
    assert points.shape == (240, 2) and labels.shape == (240,)  # the train split shown
    assert x0 <= points[:, 0].min() and points[:, 0].max() <= x1
    assert set(labels.unique().tolist()) == {0, 1}
    assert ((points[:, 0] * points[:, 1] > 0).float() == labels).float().mean() > 0.95
    val = _inspect(client, runs.xor, "boundary", resolution=8, split="val")
    assert _array(val["points"]).shape == (XOR_VAL, 2)
    assert _inspect(client, runs.xor, "boundary", status=422, resolution=1000)


def test_confusion_on_the_validation_split(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "confusion")
    assert answer["samples"] == XOR_VAL
    matrix = answer["matrix"]
    assert len(matrix) == 2 and all(len(row) == 2 for row in matrix)
    assert sum(map(sum, matrix)) == answer["samples"]
    assert answer["accuracy"] > 0.9
    assert answer["accuracy"] == pytest.approx((matrix[0][0] + matrix[1][1]) / XOR_VAL)
    assert answer["class_names"] == ["0", "1"]
    assert all(a is not None and a > 0.8 for a in answer["per_class_accuracy"])
    wrong = sum(map(sum, matrix)) - matrix[0][0] - matrix[1][1]
    assert len(answer["wrong"]) == min(wrong, 16)
    for sample in answer["wrong"]:
        assert sample["label"] != sample["predicted"] and sample["confidence"] >= 0.5
    test = _inspect(client, runs.xor, "confusion", split="test", top_wrong=0)
    assert test["samples"] == 80 and test["wrong"] == []


def test_histograms_of_every_epoch(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "histograms")
    assert answer["cut"] is None
    recorded = answer["epochs"]
    assert [h["epoch"] for h in recorded] == list(range(XOR_EPOCHS))
    steps = [h["step"] for h in recorded]
    assert steps[-1] == XOR_EPOCHS * 8  # 240 samples in batches of 32: 8 steps an epoch
    assert steps == [8 * (epoch + 1) for epoch in range(XOR_EPOCHS)]
    sizes = {"hidden1": (16, 8), "hidden2": (64, 8), "out": (16, 2)}  # weights, biases
    for epoch in recorded:
        names = [(p["layer"], p["parameter"].rsplit(".", 1)[-1])
                 for p in epoch["parameters"]]
        assert names == [(layer, kind) for layer in sizes for kind in ("weight", "bias")]
        for parameter in epoch["parameters"]:
            assert parameter["gradients"] is not None
            size = sizes[parameter["layer"]][parameter["parameter"].endswith("bias")]
            for histogram in (parameter["weights"], parameter["gradients"]):
                assert len(histogram["counts"]) == 32 and sum(histogram["counts"]) == size
                assert histogram["low"] - 1e-6 <= histogram["mean"] <= histogram["high"] + 1e-6
                assert histogram["std"] >= 0
    first, last = recorded[0]["parameters"][0], recorded[-1]["parameters"][0]
    assert first["weights"] != last["weights"]  # training moved the weights
    thinned = _inspect(client, runs.xor, "histograms", max_epochs=5)
    assert [h["epoch"] for h in thinned["epochs"]][::4] == [0, XOR_EPOCHS - 1]
    assert len(thinned["epochs"]) == 5
    assert thinned["cut"] == f"5 of {XOR_EPOCHS} epochs, spread evenly"
    assert _inspect(client, runs.xor, "histograms", status=422, max_epochs=1)


def test_kept_epochs_and_weights_of_an_epoch(client: TestClient, runs: Runs) -> None:
    epochs = _inspect(client, runs.xor, "epochs")["epochs"]
    assert 2 <= len(epochs) <= 20 and epochs == sorted(set(epochs))
    assert epochs[0] == 0 and epochs[-1] == XOR_EPOCHS - 1
    first = _inspect(client, runs.xor, "boundary", epoch=epochs[0], resolution=16)
    assert EncodedArray.model_validate(first["predicted"]).shape == [16, 16]
    early = _inspect(client, runs.xor, "predict", {"sample": 0, "epoch": epochs[0]})
    late = _inspect(client, runs.xor, "predict", {"sample": 0, "epoch": epochs[-1]})
    latest = _inspect(client, runs.xor, "predict", {"sample": 0})
    assert early["probabilities"] != late["probabilities"]  # different weights
    assert late["probabilities"] == pytest.approx(latest["probabilities"], abs=1e-6)
    missing = next(e for e in range(XOR_EPOCHS) if e not in epochs)
    answer = _inspect(client, runs.xor, "boundary", status=422, epoch=missing)
    assert f"epoch {missing}" in answer["detail"]
    answer = _inspect(client, runs.xor, "predict", {"sample": 0, "epoch": XOR_EPOCHS + 5},
                      status=422)
    assert "no weights kept" in answer["detail"]


def test_embedding_of_a_hidden_layer(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "embedding", layer="hidden2", samples=50)
    assert answer["layer"] == "hidden2" and answer["dimensions"] == 8
    points, labels = _array(answer["points"]), _array(answer["labels"])
    assert points.shape == (50, 2) and labels.shape == (50,)
    assert torch.isfinite(points).all()
    assert set(labels.unique().tolist()) <= {0, 1}
    assert len(answer["explained"]) == 2
    assert 0 <= answer["explained"][1] <= answer["explained"][0] <= 1 + 1e-6
    assert sum(answer["explained"]) <= 1 + 1e-6
    assert _inspect(client, runs.xor, "embedding", status=422, layer="hidden2", samples=2)


def test_the_live_stream_carried_decision_boundaries(runs: Runs) -> None:
    messages = runs.xor_stream
    assert messages[0]["kind"] == "snapshot"
    assert messages[-1]["kind"] == "finished" and messages[-1]["status"] == "completed"
    boundaries = [m for m in messages if m["kind"] == "boundary"]
    assert boundaries
    assert boundaries[-1]["epoch"] == XOR_EPOCHS - 1  # the last epoch always sends one
    assert [b["epoch"] for b in boundaries] == sorted(b["epoch"] for b in boundaries)
    grid = boundaries[-1]["boundary"]
    assert grid["resolution"] == 50
    assert list(_array(grid["predicted"]).shape) == [50, 50]
    assert _array(grid["points"]).shape == (240, 2)  # the points it trains on (no val)


# --- a small CNN on 8x8 digits ---------------------------------------------------------

def test_filters_of_a_grey_conv_layer(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.cnn, "filters")
    assert [layer["id"] for layer in answer["layers"]] == ["conv"]
    conv = answer["layers"][0]
    assert conv["type"] == "conv2d" and conv["shape"] == [6, 1, 3, 3]
    assert conv["rgb"] is False and conv["png"] is None and conv["cut"] is None
    values = _array(conv["values"])
    assert values.shape == (6, 1, 3, 3)
    assert conv["min"] <= conv["max"]
    assert values.min().item() == pytest.approx(conv["min"], abs=1e-2)
    assert values.max().item() == pytest.approx(conv["max"], abs=1e-2)
    cut = _inspect(client, runs.cnn, "filters", layers="conv", max_filters=4)["layers"][0]
    assert cut["shape"] == [6, 1, 3, 3] and _array(cut["values"]).shape == (4, 1, 3, 3)
    assert cut["cut"] == "first 4 of 6 filters"
    answer = _inspect(client, runs.cnn, "filters", status=422, layers="out")
    assert "not a convolution" in answer["detail"]


def test_activations_cut_to_a_few_channels(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.cnn, "activations", {"sample": 0, "max_channels": 2})
    assert list(_array(answer["input"]).shape) == [1, 8, 8]
    layers = {a["id"]: a for a in answer["layers"]}
    assert list(layers) == ["conv", "pool", "flat", "out"]
    expected = {"conv": ([6, 8, 8], "maps", [2, 8, 8]), "pool": ([6, 4, 4], "maps", [2, 4, 4]),
                "flat": ([96], "vector", [96]), "out": ([10], "vector", [10])}
    for name, (shape, kind, sent) in expected.items():
        layer = layers[name]
        assert (layer["shape"], layer["kind"]) == (shape, kind), name
        assert list(_array(layer["values"]).shape) == sent, name
        assert layer["min"] <= layer["max"]
    assert layers["conv"]["cut"] == "channels 0 to 1 of 6"
    assert layers["pool"]["cut"] == "channels 0 to 1 of 6"
    assert layers["flat"]["cut"] is None and layers["out"]["cut"] is None
    assert layers["conv"]["min"] >= 0  # relu
    # min/max are over every channel, not only those sent
    flat = _array(layers["flat"]["values"])
    assert flat.max().item() == pytest.approx(layers["pool"]["max"], abs=1e-2, rel=1e-2)


def test_saliency_is_shaped_like_the_input(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.cnn, "saliency", {"sample": 3, "steps": 8})
    assert 0 <= answer["target"] < 10 and answer["steps"] == 8
    assert math.isfinite(answer["score"])
    for name in ("gradient_x_input", "integrated_gradients"):
        values = _array(answer[name])
        assert values.shape == (1, 8, 8) and torch.isfinite(values).all()
    predicted = _inspect(client, runs.cnn, "predict", {"sample": 3})["top"][0]["index"]
    assert answer["target"] == predicted  # the predicted class by default
    chosen = _inspect(client, runs.cnn, "saliency", {"sample": 3, "target": 7, "steps": 4})
    assert chosen["target"] == 7
    answer = _inspect(client, runs.cnn, "saliency", {"sample": 3, "target": 10}, status=422)
    assert "target" in answer["detail"]


@pytest.mark.parametrize(("width", "height", "mode", "prefix"), [
    (8, 8, "L", ""), (28, 20, "L", ""), (16, 16, "RGB", "data:image/png;base64,"),
    (32, 32, "RGBA", "data:image/png;base64,")])
def test_predict_a_png(client: TestClient, runs: Runs, width: int, height: int, mode: str,
                       prefix: str) -> None:
    answer = _inspect(client, runs.cnn, "predict", {"png": prefix + _png(width, height, mode)})
    assert answer["output"] == "classes" and len(answer["probabilities"]) == 10
    assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert len(answer["top"]) == 5
    assert answer["top"][0]["name"] == str(answer["top"][0]["index"])
    assert answer["top"][0]["probability"] == max(answer["probabilities"])


def test_confusion_of_the_cnn(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.cnn, "confusion", split="test")
    assert answer["samples"] == DIGITS_TEST
    assert len(answer["matrix"]) == 10 and sum(map(sum, answer["matrix"])) == DIGITS_TEST
    assert answer["accuracy"] > 0.5
    assert answer["class_names"] == [str(d) for d in range(10)]


# --- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize(("view", "body"), [
    ("confusion", None), ("epochs", None), ("histograms", None), ("filters", None),
    ("predict", {"sample": 0}), ("activations", {"sample": 0})])
def test_an_unknown_run_is_404(client: TestClient, view: str, body: dict[str, Any] | None
                               ) -> None:
    answer = _inspect(client, "0" * 32, view, body, status=404)
    assert "0" * 32 in answer["detail"]


def test_a_run_without_weights_is_409(client: TestClient, runs: Runs) -> None:
    for view, body in (("predict", {"sample": 0}), ("confusion", None), ("filters", None)):
        answer = _inspect(client, runs.diverged, view, body, status=409)
        assert "no weights yet" in answer["detail"]
    assert _inspect(client, runs.diverged, "epochs") == {"epochs": []}
    assert _inspect(client, runs.diverged, "histograms") == {"epochs": [], "cut": None}
    answer = _inspect(client, runs.diverged, "predict", {"sample": 0, "epoch": 0}, status=422)
    assert "none yet" in answer["detail"]


def test_an_unknown_layer_is_named(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "activations", {"sample": 0, "layers": ["nope"]},
                      status=422)
    assert "'nope'" in answer["detail"] and "hidden1" in answer["detail"]
    answer = _inspect(client, runs.xor, "embedding", status=422, layer="nope")
    assert "'nope'" in answer["detail"]
    answer = _inspect(client, runs.cnn, "filters", status=422, layers="conv,nope")
    assert "'nope'" in answer["detail"]


@pytest.mark.parametrize(("body", "words"), [
    ({"sample": 0, "png": _png(8, 8)}, "exactly one"),
    ({}, "exactly one"),
    ({"sample": 0, "array": _encoded([0.0] * 64)}, "exactly one"),
    ({"sample": DIGITS_TEST}, f"the test split has {DIGITS_TEST} samples"),
    ({"sample": 10_000, "split": "train"}, "sample"),
    ({"png": "bm90IGEgcG5n"}, "png: not a readable"),
    ({"png": "%%% not base64 %%%"}, "png: not a readable"),
    ({"array": _encoded([0.0] * 63)}, "shape (63,)"),
    ({"array": {"shape": [1, 8, 8], "dtype": "float32", "data": "AAAA"}}, "bytes"),
])
def test_bad_inputs_are_422(client: TestClient, runs: Runs, body: dict[str, Any],
                            words: str) -> None:
    answer = _inspect(client, runs.cnn, "predict", body, status=422)
    assert words in answer["detail"]


def test_views_that_do_not_fit_the_network_are_422(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.xor, "attention", {"sample": 0}, status=422)
    assert "no multihead_attention" in answer["detail"]
    answer = _inspect(client, runs.xor, "predict", {"png": _png(8, 8)}, status=422)
    assert "an image fits only" in answer["detail"]
    answer = _inspect(client, runs.cnn, "boundary", status=422)
    assert "2-D points" in answer["detail"]
    answer = _inspect(client, runs.chars, "saliency", {"sample": 0}, status=422)
    assert "token ids" in answer["detail"]
    # unknown fields are refused by the request model
    assert _inspect(client, runs.xor, "predict", {"sample": 0, "bogus": 1}, status=422)


def _huge_png(width: int, height: int) -> str:
    """A PNG whose header claims width x height pixels (its pixel data is a tiny image's):
    opening it reads only the header."""
    raw = bytearray(base64.b64decode(_png(8, 8)))
    assert raw[12:16] == b"IHDR"
    raw[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    return base64.b64encode(bytes(raw)).decode()


def test_a_png_too_large_is_422(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.cnn, "predict", {"png": _huge_png(14_000, 14_000)},
                      status=422)
    assert "too large" in answer["detail"]


def test_an_array_with_negative_dimensions_is_422(client: TestClient, runs: Runs) -> None:
    data = base64.b64encode(np.zeros(2, dtype="<f4").tobytes()).decode()
    answer = _inspect(client, runs.xor, "predict",
                      {"array": {"shape": [-1, -2], "dtype": "float32", "data": data}},
                      status=422)
    assert answer["errors"][0]["field"].startswith("array.shape")


def test_an_array_with_nan_is_422(client: TestClient, runs: Runs) -> None:
    data = base64.b64encode(np.array([0.5, np.nan], dtype="<f4").tobytes()).decode()
    answer = _inspect(client, runs.xor, "predict",
                      {"array": {"shape": [2], "dtype": "float32", "data": data}}, status=422)
    assert "NaN" in answer["detail"]


# --- attention -------------------------------------------------------------------------

def test_attention_maps_of_a_transformer(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.chars, "attention", {"sample": 0})
    tokens = answer["tokens"]
    assert tokens is not None and len(tokens) == 64 and set(tokens) <= set(VOCAB)
    assert [layer["id"] for layer in answer["layers"]] == ["block1", "block2"]
    for layer in answer["layers"]:
        assert layer["type"] == "transformer_encoder_block" and layer["cut"] is None
        assert (layer["heads"], layer["queries"], layer["keys"]) == (4, 64, 64)
        weights = _array(layer["weights"])
        assert weights.shape == (4, 64, 64)
        assert (weights >= 0).all()
        assert torch.allclose(weights.sum(dim=-1), torch.ones(4, 64), atol=1e-2)
        future = torch.triu(torch.ones(64, 64, dtype=torch.bool), diagonal=1)
        assert (weights[:, future] == 0).all()  # causal: no query sees a later key
    other = _inspect(client, runs.chars, "attention", {"sample": 1, "split": "train"})
    assert other["tokens"] != tokens
    predicted = _inspect(client, runs.chars, "predict", {"sample": 0})
    assert predicted["output"] == "tokens" and len(predicted["probabilities"]) == 64
    assert sum(predicted["probabilities"]) == pytest.approx(1, abs=1e-4)
    activations = _inspect(client, runs.chars, "activations",
                           {"sample": 0, "layers": ["embed", "out"], "max_channels": 8})
    embed, out = activations["layers"]
    assert (embed["shape"], embed["kind"]) == ([64, 64], "sequence")
    assert embed["cut"] == "steps 0 to 7 of 64"
    assert list(_array(embed["values"]).shape) == [8, 64]
    assert out["shape"] == [64, 64]


# --- one training step, laid bare ------------------------------------------------------

def test_a_training_step_of_the_cnn_laid_bare(client: TestClient, runs: Runs) -> None:
    """Two training samples through the run's own loss and optimizer (Adam, lr 0.01): every
    layer's output, every parameter's gradient, and Adam's first step of about lr each."""
    before = _inspect(client, runs.cnn, "filters")
    step = _inspect(client, runs.cnn, "step", {"sample": 3, "count": 2})
    assert [layer["layer"] for layer in step["layers"]] == ["conv", "pool", "flat", "out"]
    assert step["optimizer"] == "Adam" and step["lr"] == pytest.approx(0.01)
    assert step["loss"] > 0 and step["target"]["shape"] == [2]
    conv = step["layers"][0]
    assert conv["inputs"][0]["shape"] == [2, 1, 8, 8] and conv["output"]["shape"] == [2, 6, 8, 8]
    weight = next(p for p in conv["params"] if p["name"] == "weight")
    assert weight["key"] == "conv.0.weight" and weight["grad"]["shape"] == [6, 1, 3, 3]
    grad = decode(EncodedArray(**weight["grad"]["values"]))
    update = decode(EncodedArray(**weight["update"]["values"]))
    moved = update[grad.abs() > 1e-6]
    assert torch.allclose(moved.abs(), torch.full_like(moved, 0.01), rtol=1e-3)
    assert _inspect(client, runs.cnn, "filters") == before  # the run's weights are untouched
    answer = _inspect(client, runs.cnn, "step", {"sample": 10_000_000}, status=422)
    assert "do not fit" in answer["detail"]
    _inspect(client, runs.cnn, "step", {"count": 17}, status=422)
    _inspect(client, runs.diverged, "step", {}, status=409)


# --- sequence lessons --------------------------------------------------------------------

def test_a_forecasters_predictions_next_to_the_truth(client: TestClient, runs: Runs) -> None:
    answer = _inspect(client, runs.forecast, "predictions", samples=500)
    truth, guess = _array(answer["truth"]), _array(answer["prediction"])
    assert truth.shape == guess.shape == (FORECAST_TEST, 1)
    assert answer["mae"] == pytest.approx(float((guess - truth).abs().mean()), rel=1e-5)
    assert answer["rmse"] == pytest.approx(float((guess - truth).pow(2).mean().sqrt()), rel=1e-5)
    assert truth.abs().max() <= 1.5  # a sine with a little noise, in order
    assert _inspect(client, runs.forecast, "predictions", samples=10)["truth"]["shape"] == [10, 1]
    answer = _inspect(client, runs.cnn, "predictions", status=422)
    assert "regression" in answer["detail"]


def test_a_character_model_writes_on_from_a_prompt(client: TestClient, runs: Runs) -> None:
    body = {"prompt": "ROMEO:", "length": 40, "temperature": 0}
    greedy = _inspect(client, runs.chars, "generate", body)
    assert greedy["prompt"] == "ROMEO:" and len(greedy["text"]) == 40
    assert set(greedy["text"]) <= set(VOCAB)
    assert _inspect(client, runs.chars, "generate", body)["text"] == greedy["text"]
    warm = {"prompt": "", "length": 40, "temperature": 1.5}
    first = _inspect(client, runs.chars, "generate", warm | {"seed": 1})["text"]
    assert _inspect(client, runs.chars, "generate", warm | {"seed": 1})["text"] == first
    assert _inspect(client, runs.chars, "generate", warm | {"seed": 2})["text"] != first
    answer = _inspect(client, runs.chars, "generate", {"prompt": "caf\u00e9"}, status=422)
    assert "'\u00e9' not in the model's vocabulary" in answer["detail"]
    _inspect(client, runs.chars, "generate", {"length": 501}, status=422)
    answer = _inspect(client, runs.xor, "generate", {"prompt": "a"}, status=422)
    assert "next-token model" in answer["detail"]


def test_generated_text_streams_as_it_is_written(client: TestClient, runs: Runs) -> None:
    body = {"prompt": "ROMEO:", "length": 60, "temperature": 1.0, "seed": 3}
    whole = _inspect(client, runs.chars, "generate", body)["text"]
    url = f"{API}/runs/{runs.chars}/inspect/generate/stream"
    with client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[-1] == {"done": True} and len(lines) == 61  # a line per character, then done
    assert "".join(line["text"] for line in lines[:-1]) == whole
    # the prompt is checked before anything is sent, as the view checks it
    refused = client.post(url, json={"prompt": "caf\u00e9"})
    assert refused.status_code == 422
    assert "not in the model's vocabulary" in refused.json()["detail"]
    refused = client.post(f"{API}/runs/{runs.cnn}/inspect/generate/stream", json={})
    assert refused.status_code == 422 and "next-token model" in refused.json()["detail"]
