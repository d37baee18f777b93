"""Weights given in a convolution's spec are bounded: a kernel of up to 4,096 values is
taken, one past it is a 422 naming the layer's weights field, and a kernel of a million
values is refused by the body limit before any of it is parsed. Never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.spec.layers.weights import MAX_KERNEL_VALUES
from tests.security.helpers import API, Lab


def conv_spec(filters: int, channels: int, side: int, value: float = 0.125) -> dict[str, Any]:
    kernel = [[[[value] * side] * side] * channels] * filters
    return {"name": "kernel bounds", "input": {"shape": [channels, 32, 32]},
            "layers": [{"id": "conv", "type": "conv2d", "filters": filters, "kernel_size": side,
                        "use_bias": False, "weights": {"kernel": kernel}}]}


def post(lab: Lab, spec: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    body = json.dumps(spec).encode()
    response = lab.client.post(f"{API}/specs/validate", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text[:300]
    return response.status_code, response.json(), len(body)


def test_a_kernel_at_the_bound_is_taken_and_one_past_it_is_named(
        lab: Lab, record_property: pytest.RecordProperty) -> None:
    status, _, size = post(lab, conv_spec(16, 16, 4))  # 16 x 16 x 4 x 4 = 4,096 values
    assert status == 200
    status_past, answer, size_past = post(lab, conv_spec(17, 16, 4))  # 4,352 values
    assert status_past == 422
    error = answer["errors"][0]
    assert (error["layer_id"], error["field"]) == ("conv", "weights")
    assert f"over the limit of {MAX_KERNEL_VALUES:,}" in error["message"]
    record_property("detail", f"{MAX_KERNEL_VALUES:,} values ({size / 1024:.0f} KiB) taken; "
                              f"4,352 ({size_past / 1024:.0f} KiB) 422 on conv.weights")


def test_a_kernel_of_a_million_values_is_refused_by_the_body_limit(
        lab: Lab, record_property: pytest.RecordProperty) -> None:
    status, _, size = post(lab, conv_spec(64, 64, 16))  # 1,048,576 values
    assert status == 413
    record_property("detail", f"1,048,576 values ({size / 2**20:.1f} MiB): 413")
