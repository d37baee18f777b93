"""A preset is a network and the settings it was made to train with: `POST /runs` with
`{"preset": name}` and no training trains it as loaded, given settings are laid over the
preset's, and a preset that names none (an ImageNet classic) asks for them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import IMAGENET_PRESETS

API = "/api/v1"


@pytest.fixture
def created(client: TestClient) -> Iterator[list[str]]:
    """Ids of the runs a test creates; each is deleted after it (stopped first), so the
    session's server trains none of them."""
    ids: list[str] = []
    yield ids
    for run_id in ids:
        client.post(f"{API}/runs/{run_id}/stop")
        client.delete(f"{API}/runs/{run_id}")


def _create(client: TestClient, created: list[str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    created.append(run["id"])
    return run


def test_the_preset_list_names_each_presets_dataset_and_settings(client: TestClient) -> None:
    listing = {p["name"]: p for p in client.get(f"{API}/presets").json()}
    assert listing["char-lstm"]["dataset"] == "chars"
    assert listing["char-lstm"]["training"]["task"] == "sequence"
    assert listing["char-lstm"]["training"]["dataset"]["options"]["seq_len"] == 64
    assert listing["mnist-keras-cnn"]["dataset"] == "mnist-10k"
    assert "full MNIST" in listing["mnist-keras-cnn"]["description"]
    for name in IMAGENET_PRESETS:
        assert listing[name]["dataset"] is None and listing[name]["training"] is None
    assert all(p["dataset"] for name, p in listing.items() if name not in IMAGENET_PRESETS)


def test_a_preset_without_settings_trains_with_its_own(client: TestClient,
                                                       created: list[str]) -> None:
    own = next(p for p in client.get(f"{API}/presets").json() if p["name"] == "toy-mlp")
    run = _create(client, created, {"model": {"preset": "toy-mlp"}})
    assert run["training"]["dataset"] == own["training"]["dataset"]
    assert run["training"]["optimizer"]["lr"] == own["training"]["optimizer"]["lr"]
    assert run["training"]["epochs"] == own["training"]["epochs"]


def test_given_settings_are_laid_over_the_presets(client: TestClient,
                                                  created: list[str]) -> None:
    """Naming the dataset the preset was made for keeps its options (the sequence length
    and target the network needs), its task and optimizer."""
    run = _create(client, created, {"model": {"preset": "char-lstm"},
                                    "training": {"dataset": {"name": "chars"}, "epochs": 1}})
    training = run["training"]
    assert training["epochs"] == 1
    assert training["task"] == "sequence"
    assert training["dataset"]["options"] == {"seq_len": 64, "target": "next", "stride": 8}
    assert training["optimizer"]["lr"] == 0.005


def test_settings_without_a_dataset_keep_the_presets_dataset(client: TestClient,
                                                             created: list[str]) -> None:
    run = _create(client, created, {"model": {"preset": "char-lstm"},
                                    "training": {"epochs": 2, "optimizer": {"lr": 0.01}}})
    training = run["training"]
    assert (training["epochs"], training["optimizer"]["lr"]) == (2, 0.01)
    assert training["dataset"] == {"name": "chars",
                                   "options": {"seq_len": 64, "target": "next", "stride": 8}}
    assert training["optimizer"]["name"] == "adam"  # the preset's, key by key


def test_another_dataset_starts_from_none_of_the_presets_options(client: TestClient) -> None:
    """moons has no seq_len: the preset's chars options are not carried over, and the
    network's token input does not fit 2-D points, which the answer says."""
    response = client.post(f"{API}/runs", json={
        "model": {"preset": "char-lstm"}, "training": {"dataset": {"name": "moons"}}})
    assert response.status_code == 422
    assert "seq_len" not in response.text


def test_a_preset_that_names_no_settings_asks_for_them(client: TestClient) -> None:
    response = client.post(f"{API}/runs", json={"model": {"preset": "vgg16"}})
    assert response.status_code == 422
    assert "names no training settings" in response.json()["detail"]


def test_a_spec_needs_its_settings(client: TestClient) -> None:
    spec = client.get(f"{API}/presets/toy-mlp").json()
    for body in ({"model": spec}, {"model": spec, "training": {"epochs": 2}}):
        response = client.post(f"{API}/runs", json=body)
        assert response.status_code == 422
        assert "training is required" in response.json()["detail"]
