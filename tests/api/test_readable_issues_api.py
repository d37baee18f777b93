"""An invalid spec still answers what could be inferred of it, names its dead ends, and
says each problem as a code and values a UI can put in its own words."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

API = "/api/v1"
CNN: dict[str, Any] = {
    "input": {"shape": [1, 28, 28]},
    "layers": [
        {"id": "conv1", "type": "conv2d", "filters": 8, "kernel_size": 3},
        {"id": "pool1", "type": "maxpool2d", "pool_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "fc1", "type": "dense", "units": 32},
        {"id": "out", "type": "dense", "units": 10},
    ],
}
INFERRED_BEFORE_POOL = {"conv1": [8, 26, 26]}


def _validate(client: TestClient, spec: dict[str, Any]) -> Any:
    return client.post(f"{API}/specs/validate", json=spec)


def _edited(**changes: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(CNN)
    for layer in spec["layers"]:
        layer.update(changes.get(layer["id"], {}))
    return spec


@pytest.mark.parametrize(("change", "code", "params"), [
    ({"pool1": {"pool_size": 0}}, "greater_than_equal", {"ge": 1}),
    ({"pool1": {"pool_size": "two"}}, "int_type", {}),
])
def test_an_invalid_field_keeps_the_shapes_before_it(
    client: TestClient, change: dict[str, Any], code: str, params: dict[str, Any],
    record_property: Any,
) -> None:
    response = _validate(client, _edited(**change))
    assert response.status_code == 422
    body = response.json()
    [issue] = body["errors"]
    assert (issue["layer_id"], issue["field"]) == ("pool1", "pool_size")
    assert issue["code"] == code and issue["params"] == params
    assert issue["message"]  # the English words stay, for API and CLI users
    assert {layer["id"]: layer["output_shape"] for layer in body["layers"]} == INFERRED_BEFORE_POOL
    assert body["layers"][0]["params"] == 8 * 9 + 8
    assert body["input_shape"] == [1, 28, 28]
    record_property("detail", f"{code}: {len(body['layers'])} of 5 layers inferred")


def test_a_shape_error_keeps_every_layer_it_does_not_feed(client: TestClient) -> None:
    spec = copy.deepcopy(CNN)
    # a branch beside the chain: it reads conv1 and is fine, and stays inferred
    spec["layers"].insert(1, {"id": "side", "type": "conv2d", "filters": 4, "kernel_size": 1,
                              "inputs": ["conv1"]})
    spec["layers"][2]["inputs"] = ["conv1"]
    del spec["layers"][3]  # no flatten: fc1 cannot take the pooled image
    body = _validate(client, spec).json()
    [issue] = body["errors"]
    assert issue["layer_id"] == "fc1"
    assert issue["code"] == "needs_flat_input"
    assert issue["params"] == {"shape": [8, 13, 13]}
    assert {layer["id"]: layer["output_shape"] for layer in body["layers"]} == {
        "conv1": [8, 26, 26], "side": [4, 26, 26], "pool1": [8, 13, 13]}


def test_every_independent_invalid_layer_is_named(client: TestClient) -> None:
    spec = {"input": {"shape": [4]}, "layers": [
        {"id": "a", "type": "dense", "units": 0},
        {"id": "b", "type": "dense", "units": 3, "inputs": ["input"]},
        {"id": "c", "type": "conv2d", "filters": 2, "kernel_size": 3, "inputs": ["b"]},
        {"id": "out", "type": "concat", "inputs": ["a", "c"]},
    ]}
    body = _validate(client, spec).json()
    codes = {issue["layer_id"]: issue["code"] for issue in body["errors"]}
    assert codes == {"a": "greater_than_equal", "c": "too_few_dimensions"}
    assert next(i for i in body["errors"] if i["layer_id"] == "c")["params"] == {
        "shape": [3], "dims": [3]}
    assert [layer["id"] for layer in body["layers"]] == ["b"]


def test_a_shape_mismatch_carries_both_shapes_as_lists(client: TestClient) -> None:
    spec = {"input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "a", "type": "conv2d", "filters": 32, "kernel_size": 5},
        {"id": "b", "type": "conv2d", "filters": 16, "kernel_size": 5, "inputs": ["input"]},
        {"id": "sum", "type": "add", "inputs": ["a", "b"]},
    ]}
    body = _validate(client, spec).json()
    [issue] = body["errors"]
    assert issue["code"] == "shape_mismatch"
    assert issue["params"] == {"first": "a", "first_shape": [32, 24, 24],
                               "other": "b", "other_shape": [16, 24, 24]}
    assert [layer["id"] for layer in body["layers"]] == ["a", "b"]


def test_an_unknown_layer_type_and_a_missing_field_have_codes(client: TestClient) -> None:
    spec = {"input": {"shape": [4]}, "layers": [
        {"id": "fc", "type": "dense"},
        {"id": "odd", "type": "wormhole"},
    ]}
    body = _validate(client, spec).json()
    issues = {issue["layer_id"]: issue for issue in body["errors"]}
    assert (issues["fc"]["code"], issues["fc"]["field"]) == ("missing", "units")
    assert issues["odd"]["code"] == "unknown_layer_type"
    assert issues["odd"]["params"] == {"type": "wormhole"}


def test_a_dead_end_is_named_whether_the_spec_is_valid_or_not(client: TestClient) -> None:
    spec = copy.deepcopy(CNN)
    # the edge from fc1 into out is gone: out reads the input, fc1 and all before it lead nowhere
    spec["layers"][4]["inputs"] = ["input"]
    spec["input"]["shape"] = [784]
    spec["layers"][0:3] = [{"id": "dense0", "type": "dense", "units": 16}]
    body = _validate(client, spec).json()
    assert body["valid"] is True
    assert body["disconnected"] == ["dense0", "fc1"]
    assert any("fc1: does not feed the output" in w for w in body["warnings"])
    spec["layers"][1]["units"] = -1  # the dead end is also invalid
    body = _validate(client, spec).json()
    assert body["disconnected"] == ["dense0", "fc1"]
    assert [layer["id"] for layer in body["layers"]] == ["dense0", "out"]


def test_the_input_invalid_leaves_nothing_inferred(client: TestClient) -> None:
    spec = copy.deepcopy(CNN)
    spec["input"]["shape"] = [1, 0, 28]
    body = _validate(client, spec).json()
    assert body["input_shape"] is None and body["layers"] == []
    assert body["errors"][0]["field"] == "input.shape.1"
    assert body["errors"][0]["code"] == "greater_than_equal"
