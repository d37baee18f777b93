"""The ImageNet classics (AlexNet, VGG-16, ResNet-18, GoogLeNet) are shown layer by layer
whatever the limits: validation reports a network too big to train here with the setting
to raise, a run of it is refused with a 422 naming that setting, and raising it lets the
run through the limits (to the dataset's own checks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from tests.conftest import IMAGENET_PRESETS, OVER_DEFAULT_LIMITS
from tests.test_presets_files import EXACT_PARAMS

API = "/api/v1"
# A training config a 3x224x224 network could be given: CIFAR-10's images are 32x32, so
# once the limits let a run through, the dataset's shape check is what refuses it.
TRAINING: dict[str, Any] = {"dataset": {"name": "cifar10"}, "epochs": 1, "batch_size": 8,
                            "device": "cpu"}


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server whose max_params is raised to fit VGG-16, as LAYERLAB_LIMITS__MAX_PARAMS
    does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAYERLAB_LIMITS__MAX_PARAMS", "150000000")
        settings = Settings(home=tmp_path_factory.mktemp("raised-home"),
                            allowed_hosts=["testserver"])
    assert settings.limits.max_params == 150_000_000
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("name", sorted(IMAGENET_PRESETS))
def test_validation_shows_every_layer_and_says_whether_it_trains_here(
        client: TestClient, name: str, record_property: Any) -> None:
    spec = client.get(f"{API}/presets/{name}").json()
    response = client.post(f"{API}/specs/validate", json=spec)
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert [layer["id"] for layer in body["layers"]] == [layer["id"] for layer in spec["layers"]]
    assert body["total_params"] == sum(layer["params"] for layer in body["layers"])
    assert body["total_params"] == EXACT_PARAMS[name]
    assert body["output_shape"] == [1000]
    too_big = name in OVER_DEFAULT_LIMITS
    assert body["trainable"] is not too_big
    if too_big:
        [issue] = body["over_limits"]
        assert "LAYERLAB_LIMITS__MAX_PARAMS" in issue["message"]
        assert f"{EXACT_PARAMS[name]:,} parameters" in issue["message"]
        assert issue["layer_id"] in {layer["id"] for layer in spec["layers"]}
    else:
        assert body["over_limits"] == []
    record_property("detail", f"{len(body['layers'])} layers, {body['total_params']:,} params, "
                              f"{body['total_flops'] / 1e9:.2f} GFLOPs, "
                              f"{body['activation_mb']:.1f} MiB per sample, "
                              f"trainable here: {body['trainable']}")


@pytest.mark.parametrize("name", sorted(OVER_DEFAULT_LIMITS))
def test_a_run_of_a_network_over_the_limits_is_a_422_naming_the_setting(
        client: TestClient, name: str) -> None:
    before = client.get(f"{API}/runs").json()["runs"]
    response = client.post(f"{API}/runs", json={"model": {"preset": name},
                                                "training": TRAINING})
    assert response.status_code == 422, response.text[:300]
    [error] = response.json()["errors"]
    assert "LAYERLAB_LIMITS__MAX_PARAMS" in error["message"]
    # where the dense layers take it over 50,000,000
    assert error["layer_id"] == {"alexnet": "fc7", "vgg16": "fc6"}[name]
    assert client.get(f"{API}/runs").json()["runs"] == before  # nothing queued
    spec = client.get(f"{API}/presets/{name}").json()
    exported = client.post(f"{API}/specs/export/pytorch", json=spec)
    assert exported.status_code == 422
    assert "LAYERLAB_LIMITS__MAX_PARAMS" in exported.text


def test_raising_the_limit_lets_vgg16_train(raised: TestClient) -> None:
    spec = raised.get(f"{API}/presets/vgg16").json()
    body = raised.post(f"{API}/specs/validate", json=spec).json()
    assert body["trainable"] is True and body["over_limits"] == []
    assert raised.post(f"{API}/specs/export/pytorch", json=spec).status_code == 200
    response = raised.post(f"{API}/runs", json={"model": {"preset": "vgg16"},
                                                "training": TRAINING})
    assert response.status_code == 422, response.text[:300]
    assert "MAX_PARAMS" not in response.text
    assert "[3, 32, 32]" in response.text, response.text  # past the limits, to the data


def test_the_docs_list_each_classic_with_its_parameter_count() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "spec.md").read_text(encoding="utf-8")
    for name in IMAGENET_PRESETS:
        assert f"`{name}`" in text
        assert f"{EXACT_PARAMS[name]:,}" in text
