"""Inputs sent to the views of one input: an array whose shape is not the network's (even
one with no elements among dimensions too large to build) is a 422 naming the field,
before anything is decoded; the `png` field reads PNG only, other image formats are a 422."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

API = "/api/v1"
IMAGE_RUN = {
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": 3},
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]},
    "training": {"dataset": {"name": "digits", "options": {"layout": "image"}},
                 "epochs": 1, "batch_size": 64, "device": "cpu"},
}

VIEWS = ("predict", "activations", "saliency")
ATTENTION_RUN = {
    "model": {"version": 1, "input": {"shape": [16], "dtype": "token", "vocab_size": 64},
              "layers": [
                  {"id": "embed", "type": "embedding", "dim": 16},
                  {"id": "block", "type": "transformer_encoder_block", "num_heads": 2,
                   "ff_dim": 16, "causal": True},
                  {"id": "out", "type": "dense", "units": 64}]},
    "training": {"dataset": {"name": "chars", "options": {"seq_len": 16, "stride": 64}},
                 "epochs": 1, "batch_size": 64, "device": "cpu"},
}
HUGE = 2**31


def _trained(client: TestClient, body: dict[str, Any]) -> str:
    created = client.post(f"{API}/runs", json=body)
    assert created.status_code == 201, created.text
    run_id = str(created.json()["id"])
    deadline = time.monotonic() + 180
    while (status := client.get(f"{API}/runs/{run_id}").json()["status"]) != "completed":
        assert status in ("queued", "running"), status
        assert time.monotonic() < deadline, "the run never completed"
        time.sleep(0.05)
    return run_id


@pytest.fixture(scope="module")
def run(client: TestClient) -> Iterator[str]:
    """A small image classifier of (1, 8, 8) inputs, trained one epoch."""
    run_id = _trained(client, IMAGE_RUN)
    yield run_id
    client.delete(f"{API}/runs/{run_id}")


@pytest.fixture(scope="module")
def attention_run(client: TestClient) -> Iterator[str]:
    """A one-block character transformer of 16 tokens, trained one epoch."""
    run_id = _trained(client, ATTENTION_RUN)
    yield run_id
    client.delete(f"{API}/runs/{run_id}")


@pytest.mark.parametrize("shape", [
    [0, HUGE, HUGE, HUGE],  # no elements, yet numpy refuses to build it
    [HUGE, HUGE],  # far too many elements
    [8, 8],  # the right count, a wrong shape
])
def test_an_array_not_shaped_like_the_input_is_a_422(client: TestClient, run: str, shape: list[int],
                                                     record_property: Any
                                                     ) -> None:
    """The run's network takes (1, 8, 8): every other shape is refused by name."""
    body = {"array": {"data": "", "dtype": "float32", "shape": shape}}
    answers = {}
    for view in VIEWS:
        response = client.post(f"{API}/runs/{run}/inspect/{view}", json=body)
        answers[view] = response.status_code
        assert response.status_code == 422, (view, response.status_code, response.text[:300])
        assert "array.shape" in response.text, response.text
    record_property("detail", f"shape {shape}: " + ", ".join(
        f"{view} {status}" for view, status in answers.items()))


def test_an_array_not_shaped_like_a_sequence_is_a_422_to_attention(
        client: TestClient, attention_run: str) -> None:
    """The attention view (and the others) of a network of 16 tokens."""
    for shape in ([0, HUGE, HUGE, HUGE], [4, 4]):
        body = {"array": {"data": "", "dtype": "int64", "shape": shape}}
        for view in ("attention", "predict", "activations"):
            response = client.post(f"{API}/runs/{attention_run}/inspect/{view}", json=body)
            assert response.status_code == 422, (view, shape, response.text[:300])
            assert "array.shape" in response.text, response.text


def test_array_data_longer_than_its_shape_is_a_422(client: TestClient, run: str) -> None:
    """The right shape with 64 KiB of data (it needs 256 bytes) is a 422 on the data."""
    data = base64.b64encode(bytes(2**16)).decode()
    body = {"array": {"data": data, "dtype": "float32", "shape": [1, 8, 8]}}
    response = client.post(f"{API}/runs/{run}/inspect/predict", json=body)
    assert response.status_code == 422, response.text[:300]
    assert "array.data" in response.text


def _image(kind: str) -> str:
    buffer = io.BytesIO()
    Image.new("L" if kind != "GIF" else "P", (8, 8), 200).save(buffer, format=kind)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("kind", ["GIF", "JPEG", "TIFF", "BMP"])
def test_an_image_other_than_png_is_a_422(client: TestClient, run: str, kind: str,
                                          record_property: Any) -> None:
    response = client.post(f"{API}/runs/{run}/inspect/predict", json={"png": _image(kind)})
    assert response.status_code == 422, response.text[:300]
    assert "PNG" in response.json()["detail"], response.text
    record_property("detail", f"{kind} as png: {response.status_code}")


def test_a_png_is_read(client: TestClient, run: str) -> None:
    response = client.post(f"{API}/runs/{run}/inspect/predict", json={"png": _image("PNG")})
    assert response.status_code == 200, response.text[:300]
