"""Numbers and booleans keep their JSON types in specs: `true` or `"5"` is no number and
`1` no boolean (a 422 naming the field), while a whole number is still a float and a pair
is still a JSON array. The presets and lessons load under the same rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.spec import parse_network
from app.spec.training import TrainingSpec

API = "/api/v1"
DENSE = {"version": 1, "input": {"shape": [2]}, "layers": [
    {"id": "hidden", "type": "dense", "units": 4}, {"id": "out", "type": "dense", "units": 2}]}
CONV = {"version": 1, "input": {"shape": [1, 8, 8]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": [3, 3], "stride": [1, 1]},
    {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 2}]}


def _set(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with `value` at a dotted path (list indexes are numbers)."""
    body = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    place: Any = body
    for part in parents:
        place = place[int(part)] if isinstance(place, list) else place[part]
    place[int(last) if isinstance(place, list) else last] = value
    return body


@pytest.mark.parametrize(("path", "value"), [
    ("epochs", True), ("epochs", "5"), ("epochs", 5.5), ("batch_size", False),
    ("validation_split", "0.1"), ("validation_split", True), ("optimizer.lr", "0.01"),
    ("optimizer.betas", [True, 0.999]), ("optimizer.betas", ["0.9", 0.999]),
    ("compile", 0), ("channels_last", "true"), ("early_stopping.enabled", 1),
    ("seed", "1"),
])
def test_a_training_setting_of_the_wrong_json_type_is_a_422(
        client: TestClient, path: str, value: Any, record_property: Any) -> None:
    training = _set({"dataset": {"name": "xor", "options": {"n_samples": 100}}, "epochs": 1,
                     "optimizer": {}, "early_stopping": {}, "device": "cpu"}, path, value)
    response = client.post(f"{API}/runs", json={"model": DENSE, "training": training})
    assert response.status_code == 422, (path, value, response.status_code)
    assert path.split(".")[-1] in response.text, response.text[:400]
    record_property("detail", f"{path}={json.dumps(value)}: {response.status_code}")


@pytest.mark.parametrize(("base", "path", "value"), [
    (DENSE, "layers.0.units", "4"), (DENSE, "layers.0.units", True),
    (DENSE, "layers.0.units", 4.0), (DENSE, "layers.0.trainable", 1),
    (DENSE, "input.shape", ["2"]), (DENSE, "input.shape", [True]),
    (CONV, "layers.0.kernel_size", ["3", 3]), (CONV, "layers.0.kernel_size", True),
    (CONV, "layers.0.use_bias", "false"),
])
def test_a_layer_setting_of_the_wrong_json_type_is_a_422(
        client: TestClient, base: dict[str, Any], path: str, value: Any) -> None:
    response = client.post(f"{API}/specs/validate", json=_set(base, path, value))
    assert response.status_code == 422, (path, value, response.text[:400])


def test_whole_numbers_are_floats_and_pairs_are_arrays(client: TestClient) -> None:
    """The UI sends JSON numbers: 1 for a learning rate is 1.0."""
    training = TrainingSpec.model_validate(json.loads(
        '{"dataset": {"name": "xor"}, "validation_split": 0, "optimizer": {"lr": 1, '
        '"betas": [0.9, 1]}, "l2": 0, "layer_lr": {"hidden": 2}}'))
    assert training.optimizer.lr == 1.0 and training.optimizer.betas == (0.9, 1.0)
    assert parse_network(CONV).layers[0].kernel_size == (3, 3)  # type: ignore[union-attr]
    assert client.post(f"{API}/specs/validate", json=CONV).status_code == 200


@pytest.mark.parametrize(("view", "body", "field"), [
    ("step", {"sample": True}, "sample"), ("step", {"count": "2"}, "count"),
    ("predict", {"sample": "0"}, "sample"), ("saliency", {"sample": 0, "steps": 8.0}, "steps"),
    ("activations", {"sample": 0, "epoch": "1"}, "epoch"),
    ("generate", {"length": True}, "length"), ("latent/interpolate", {"a": 0, "b": "1"}, "b"),
    ("draw", {"png": "", "epoch": 1.0}, "epoch"),
])
def test_an_inspect_body_value_of_the_wrong_json_type_is_a_422(
        client: TestClient, view: str, body: dict[str, Any], field: str) -> None:
    """A POST view's body keeps JSON types too: it is refused before any run is looked up."""
    response = client.post(f"{API}/runs/no-such-run/inspect/{view}", json=body)
    assert response.status_code == 422, (view, body, response.status_code)
    assert response.json()["errors"][0]["field"] == field, response.text[:400]
