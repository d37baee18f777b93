"""A GAN through the API: the MLP GAN of the 8x8 digits trained for a few epochs, then
its sample grids scrubbed by step; mistakes and views that a GAN cannot give are 4xx."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from tests.api.test_inspect_api import _array, _create, _inspect, _wait
from tests.train.test_gan import TINY_GAN

API = "/api/v1"
pytestmark = pytest.mark.slow
GAN: dict[str, Any] = {
    "model": TINY_GAN,
    "training": {"dataset": {"name": "digits", "options": {"layout": "image"}}, "task": "gan",
                 "epochs": 3, "batch_size": 64, "device": "cpu",
                 "optimizer": {"name": "adam", "lr": 0.002, "betas": [0.5, 0.999]},
                 "gan": {"sample_every": 10, "samples": 16}},
}


@pytest.fixture(scope="module")
def gan(client: TestClient) -> str:
    run = _wait(client, _create(client, GAN))
    assert run["status"] == "completed", run
    assert {"val_discriminator", "val_generator", "val_d_real"} <= set(run["best_metrics"])
    return str(run["id"])


def test_the_sample_grids_scrub_from_noise_to_the_end(client: TestClient, gan: str) -> None:
    latest = _inspect(client, gan, "samples", real=True)
    steps = latest["steps"]
    assert steps[0] == 0 and steps[1] == 10 and latest["step"] == steps[-1]
    assert latest["epoch"] in (2, 3)
    samples, real = _array(latest["samples"]), _array(latest["real"])
    assert samples.shape == real.shape == (16, 1, 8, 8)
    assert samples.min() >= 0 and samples.max() <= 1
    first = _inspect(client, gan, "samples", step=0)
    assert first["real"] is None and first["epoch"] == 0
    assert not torch.equal(_array(first["samples"]), samples)
    missing = _inspect(client, gan, "samples", status=422, step=5)
    assert "no samples kept for step 5 (nearest: 0;" in missing["detail"]


def test_views_of_dataset_samples_are_refused_for_a_gan(client: TestClient, gan: str) -> None:
    answer = _inspect(client, gan, "activations", {"sample": 0}, status=422)
    assert "a gan's network reads noise" in answer["detail"]
    answer = _inspect(client, gan, "step", {"sample": 0}, status=422)
    assert "a gan alternates two" in answer["detail"]
    assert len(_inspect(client, gan, "histograms")["epochs"]) == 3  # still there for a gan


def test_samples_of_a_network_that_is_not_a_gan_are_422(client: TestClient) -> None:
    plain = {"model": {"preset": "toy-mlp"}, "training": {
        "dataset": {"name": "xor"}, "epochs": 1, "device": "cpu"}}
    run = _wait(client, client.post(f"{API}/runs", json=plain).json()["id"])
    answer = _inspect(client, run["id"], "samples", status=422)
    assert "samples are drawn by a gan" in answer["detail"]


def test_a_generator_that_does_not_fit_the_data_is_422_naming_the_layer(
        client: TestClient) -> None:
    layers = [dict(layer) for layer in TINY_GAN["layers"]]
    layers[1] = {"id": "g2", "type": "dense", "units": 49, "activation": "sigmoid"}
    layers[2] = {"id": "fake", "type": "reshape", "shape": [1, 7, 7]}
    body = {"model": {**TINY_GAN, "layers": layers},
            "training": {**GAN["training"], "gan": {"generator_output": "fake"}}}
    answer = client.post(f"{API}/runs", json=body)
    assert answer.status_code == 422, answer.text
    assert "the generator's output layer 'fake' gives (1, 7, 7)" in answer.json()["detail"]
