"""The unit view over real trained runs: every unit of a small 2-D network over the
plane, the weights between units and their gradients, and why a network has no view."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.inspect import decode
from app.spec.arrays import EncodedArray
from tests.helpers import wait_for_status

API = "/api/v1"
pytestmark = pytest.mark.slow
XOR = {"dataset": {"name": "xor", "options": {"n_samples": 400}}, "epochs": 5,
       "optimizer": {"name": "adam", "lr": 0.05}}
WIDE = {"input": {"shape": [2]}, "layers": [
    {"id": "wide", "type": "dense", "units": 32, "activation": "relu"},
    {"id": "out", "type": "dense", "units": 2}]}
SPLIT = {"input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 4},
    {"id": "act", "type": "activation", "activation": "sigmoid"},
    {"id": "out", "type": "dense", "units": 2}]}


def _trained(client: TestClient, model: dict[str, Any], training: dict[str, Any]) -> str:
    created = client.post(f"{API}/runs", json={"model": model, "training": training})
    assert created.status_code == 201, created.text
    run_id = str(created.json()["id"])
    wait_for_status(client, run_id, {"completed"}, timeout=120)
    return run_id


@pytest.fixture(scope="module")
def xor(client: TestClient) -> str:
    return _trained(client, {"preset": "toy-mlp"}, XOR)


def _array(value: dict[str, Any]) -> np.ndarray:
    return decode(EncodedArray.model_validate(value)).numpy()


def test_every_unit_is_drawn_over_the_plane_with_its_weights(client: TestClient,
                                                            xor: str) -> None:
    listed = {v["name"] for v in client.get(f"{API}/runs/{xor}/inspect").json()["views"]}
    assert "units" in listed
    answer = client.get(f"{API}/runs/{xor}/inspect/units", params={"resolution": 32}).json()
    assert answer["inputs"] == ["x", "y"] and answer["resolution"] == 32
    layers = {layer["id"]: layer for layer in answer["layers"]}
    assert list(layers) == ["hidden1", "hidden2", "out"]
    assert [layers[i]["units"] for i in layers] == [8, 8, 2]
    assert np.array(layers["hidden2"]["weights"]).shape == (8, 8)
    assert np.array(layers["hidden2"]["gradients"]).shape == (8, 8)
    assert np.abs(np.array(layers["hidden1"]["gradients"])).sum() > 0
    # a unit's map is its activation of the weighted inputs at each grid point
    planes = _array(answer["input_maps"])
    first = layers["hidden1"]
    maps = _array(first["maps"])
    assert maps.shape == (8, 32, 32) and first["activation"] == "tanh"
    w, b = np.array(first["weights"]), np.array(first["bias"])
    for unit, row, col in ((0, 0, 0), (3, 10, 20), (7, 31, 5)):
        x, y = planes[0, row, col], planes[1, row, col]
        expected = math.tanh(w[unit, 0] * x + w[unit, 1] * y + b[unit])
        assert maps[unit, row, col] == pytest.approx(expected, abs=3e-3)
    assert maps.min() >= first["low"] - 1e-3 and maps.max() <= first["high"] + 1e-3
    # y grows up the rows, x along the columns
    assert planes[1, 0, 0] < planes[1, -1, 0] and planes[0, 0, 0] < planes[0, 0, -1]


def test_features_of_the_points_are_drawn_as_inputs_over_the_plane(client: TestClient) -> None:
    features = ["x", "x_squared", "y_squared"]
    linear = {"input": {"shape": [3]}, "layers": [{"id": "out", "type": "dense", "units": 1}]}
    circle = {"dataset": {"name": "circle", "options": {"n_samples": 200, "features": features}},
              "loss": "bce", "epochs": 2}
    run_id = _trained(client, linear, circle)
    listed = {v["name"] for v in client.get(f"{API}/runs/{run_id}/inspect").json()["views"]}
    assert {"units", "boundary"} <= listed
    answer = client.get(f"{API}/runs/{run_id}/inspect/units", params={"resolution": 16}).json()
    assert answer["inputs"] == features
    inputs = _array(answer["input_maps"])  # (3, 16, 16): x, x², y² at each grid point
    assert inputs.shape == (3, 16, 16)
    # the plane is that of the points themselves (x and y both signed), not of x² and y²
    (x0, x1), (y0, y1) = answer["x_range"], answer["y_range"]
    assert x0 < -0.9 < 0.9 < x1 and y0 < -0.9 < 0.9 < y1
    assert inputs[0, 3, 0] == pytest.approx(x0, abs=1e-3)
    assert inputs[1] == pytest.approx(inputs[0] ** 2, abs=3e-3)
    ys = np.linspace(y0, y1, 16)
    assert inputs[2, :, 7] == pytest.approx(ys ** 2, abs=3e-3)
    (out,) = answer["layers"]
    w, b = np.array(out["weights"])[0], out["bias"][0]
    assert _array(out["maps"])[0, 5, 9] == pytest.approx(w @ inputs[:, 5, 9] + b, abs=3e-2)
    # the boundary lies over the same plane, the points drawn where they are
    grid = client.get(f"{API}/runs/{run_id}/inspect/boundary",
                      params={"resolution": 16}).json()
    assert (grid["x_range"], grid["y_range"]) == (answer["x_range"], answer["y_range"])
    points = _array(grid["points"])
    assert points.shape[1] == 2 and points.min() < -0.5


def test_an_activation_layer_after_a_dense_one_shapes_its_units(client: TestClient) -> None:
    run_id = _trained(client, SPLIT, {**XOR, "epochs": 1})
    answer = client.get(f"{API}/runs/{run_id}/inspect/units").json()
    hidden, out = answer["layers"]
    assert (hidden["id"], hidden["shown"], hidden["activation"]) == ("h", "act", "sigmoid")
    assert hidden["low"] >= 0 and hidden["high"] <= 1  # after the sigmoid
    assert (out["id"], out["shown"], out["activation"], out["units"]) == ("out", "out", None, 2)


def test_a_network_without_a_unit_view_says_why(client: TestClient) -> None:
    run_id = _trained(client, WIDE, {**XOR, "epochs": 1})
    refused = client.get(f"{API}/runs/{run_id}/inspect/units")
    assert refused.status_code == 422
    assert "has 32 units" in refused.json()["detail"]
    assert "activations view" in refused.json()["detail"]
