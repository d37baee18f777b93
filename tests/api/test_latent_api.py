"""A VAE through the API: trained on the 8x8 digits with a 2-D latent space, then its
latent scatter, the decoded latent grid and an interpolation between two samples."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from tests.api.test_inspect_api import _array, _create, _inspect, _wait

API = "/api/v1"
pytestmark = pytest.mark.slow
DIGITS = {"name": "digits", "options": {"layout": "image"}}
DIGITS_TEST = round(1797 * 0.2)
VAE: dict[str, Any] = {
    "model": {"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "flat", "type": "flatten"},
        {"id": "enc", "type": "dense", "units": 64, "activation": "relu"},
        {"id": "z_mean", "type": "dense", "units": 2, "inputs": ["enc"]},
        {"id": "z_log_var", "type": "dense", "units": 2, "inputs": ["enc"]},
        {"id": "z", "type": "sampling", "inputs": ["z_mean", "z_log_var"]},
        {"id": "dec", "type": "dense", "units": 64, "activation": "relu"},
        {"id": "logits", "type": "dense", "units": 64},
        {"id": "image", "type": "reshape", "shape": [1, 8, 8]}]},
    "training": {"dataset": DIGITS, "task": "vae", "loss": "bce", "beta": 1.0, "epochs": 3,
                 "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.005},
                 "device": "cpu"},
}


@pytest.fixture(scope="module")
def vae(client: TestClient) -> str:
    run = _wait(client, _create(client, VAE))
    assert run["status"] == "completed", run
    assert {"val_reconstruction", "val_kl"} <= set(run["best_metrics"])
    return str(run["id"])


def test_the_latent_scatter_of_the_test_digits(client: TestClient, vae: str) -> None:
    latent = _inspect(client, vae, "latent", samples=2000)
    points = _array(latent["points"])
    assert latent["layer"] == "z" and points.shape == (DIGITS_TEST, 2)
    assert len(latent["labels"]) == DIGITS_TEST and set(latent["labels"]) <= set(range(10))
    assert points.abs().max() < 20  # the KL term keeps the codes near the prior


def test_the_latent_grid_decodes_to_images_in_0_1(client: TestClient, vae: str) -> None:
    grid = _inspect(client, vae, "latent/grid", steps=5, extent=2.0)
    codes, images = _array(grid["codes"]), _array(grid["images"])
    assert codes.shape == (25, 2) and images.shape == (25, 1, 8, 8)
    assert codes[0].tolist() == [-2.0, 2.0] and codes[-1].tolist() == [2.0, -2.0]
    assert grid["squashed"] and images.min() >= 0 and images.max() <= 1
    assert not torch.allclose(images[0], images[-1], atol=1e-2)  # the corners differ
    _inspect(client, vae, "latent/grid", status=422, steps=31)


def test_an_interpolation_runs_from_one_digit_to_another(client: TestClient, vae: str) -> None:
    line = _inspect(client, vae, "latent/interpolate", {"a": 0, "b": 1, "steps": 6})
    codes, images = _array(line["codes"]), _array(line["images"])
    points = _array(_inspect(client, vae, "latent", samples=2)["points"])
    assert images.shape == (6, 1, 8, 8)
    assert torch.allclose(codes[0], points[0], atol=1e-5)
    assert torch.allclose(codes[-1], points[1], atol=1e-5)
    answer = _inspect(client, vae, "latent/interpolate", {"a": 0, "b": 99_999}, status=422)
    assert "b: the test split has" in answer["detail"]


def test_latent_views_of_a_network_without_sampling_are_422(client: TestClient) -> None:
    plain = {"model": {"preset": "toy-mlp"}, "training": {
        "dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 1,
        "device": "cpu"}}
    run = _wait(client, client.post(f"{API}/runs", json=plain).json()["id"])
    answer = _inspect(client, run["id"], "latent", status=422)
    assert "needs a VAE" in answer["detail"]
    _inspect(client, run["id"], "latent/grid", status=422)
