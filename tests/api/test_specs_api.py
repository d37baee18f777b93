"""The spec endpoints: validate, export, presets, layers, health, and bad input."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from app.api import create_app
from app.nn import build
from app.settings import Settings
from app.spec import LAYER_TYPES, parse_network

API = "/api/v1"
MLP = {
    "name": "Tiny MLP",
    "input": {"shape": [4]},
    "layers": [
        {"id": "fc1", "type": "dense", "units": 8, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}


def test_health_reports_versions_and_devices(client: TestClient) -> None:
    body = client.get(f"{API}/health").json()
    assert body["status"] == "ok"
    assert body["torch"] == torch.__version__
    assert "cpu" in body["devices"]


def test_layer_catalog_lists_every_type_with_schema(client: TestClient) -> None:
    catalog = client.get(f"{API}/layers").json()
    assert [entry["type"] for entry in catalog] == list(LAYER_TYPES)
    conv = next(entry for entry in catalog if entry["type"] == "conv2d")
    assert conv["category"] == "convolution"
    assert conv["description"]
    assert {"filters", "kernel_size", "padding"} <= set(conv["schema"]["properties"])


def test_validate_reports_shapes_params_and_flops(client: TestClient) -> None:
    response = client.post(f"{API}/specs/validate", json=MLP)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert [layer["output_shape"] for layer in body["layers"]] == [[8], [3]]
    assert body["total_params"] == 4 * 8 + 8 + 8 * 3 + 3
    assert body["layers"][1]["flops"] == 2 * 8 * 3
    assert body["warnings"] == []


def test_validate_preset_param_counts(client: TestClient) -> None:
    spec = client.get(f"{API}/presets/mnist-keras-cnn").json()
    body = client.post(f"{API}/specs/validate", json=spec).json()
    assert body["total_params"] == 203_434


@pytest.mark.parametrize(
    ("layers", "layer_id", "field", "words"),
    [
        ([{"id": "fc1", "type": "dense", "units": 0}], "fc1", "units", "greater than"),
        ([{"id": "fc1", "type": "dense"}], "fc1", "units", "required"),
        ([{"id": "x1", "type": "warp"}], "x1", None, "conv2d"),
        ([{"id": "a", "type": "dense", "units": 2}, {"id": "a", "type": "dense", "units": 2}],
         "a", "id", "duplicate"),
        ([{"id": "a", "type": "dense", "units": 2, "inputs": ["nope"]}], "a", "inputs", "nope"),
        ([{"id": "a", "type": "dense", "units": 2, "colour": "red"}], "a", "colour", "Extra"),
        ([{"id": "c", "type": "conv2d", "filters": 4}], "c", None, "reshape"),
    ],
)
def test_invalid_specs_answer_422_naming_layer_and_field(
    client: TestClient, layers: list[dict[str, object]], layer_id: str, field: str | None,
    words: str,
) -> None:
    response = client.post(f"{API}/specs/validate", json={"input": {"shape": [4]},
                                                         "layers": layers})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["layer_id"] == layer_id
    assert errors[0]["field"] == field
    assert words in errors[0]["message"]


def test_wrong_type_names_the_field(client: TestClient) -> None:
    response = client.post(f"{API}/specs/validate",
                           json={"input": {"shape": "big"}, "layers": MLP["layers"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "input.shape"


def test_malformed_json_is_a_400(client: TestClient) -> None:
    response = client.post(f"{API}/specs/validate", content=b'{"input": ',
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_huge_body_is_refused_before_reading(client: TestClient) -> None:
    response = client.post(f"{API}/specs/validate", content=b" " * (10 * 2**20),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_spec_over_max_params_is_shown_but_not_built(client: TestClient) -> None:
    huge = {"input": {"shape": [4096]}, "layers": [
        {"id": "fc1", "type": "dense", "units": 4096},
        {"id": "fc2", "type": "dense", "units": 65536},
        {"id": "out", "type": "dense", "units": 10},
    ]}
    response = client.post(f"{API}/specs/validate", json=huge)
    assert response.status_code == 200
    body = response.json()
    assert [layer["output_shape"] for layer in body["layers"]] == [[4096], [65536], [10]]
    assert body["total_params"] == 4097 * 4096 + 4097 * 65536 + 65537 * 10
    assert body["trainable"] is False
    [issue] = body["over_limits"]
    assert issue["layer_id"] == "fc2"
    assert "LAYERLAB_LIMITS__MAX_PARAMS" in issue["message"]
    assert f"{body['total_params']:,} parameters" in issue["message"]
    response = client.post(f"{API}/specs/export/pytorch", json=huge)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["layer_id"] == "fc2"
    assert "limit" in error["message"] and "LAYERLAB_LIMITS__MAX_PARAMS" in error["message"]


def test_spec_over_the_activation_bound_is_a_422(client: TestClient) -> None:
    wide = {"input": {"shape": [1, 1024, 1024]}, "layers": [
        {"id": "wide", "type": "conv2d", "filters": 256, "kernel_size": 1}]}
    response = client.post(f"{API}/specs/validate", json=wide)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["layer_id"] == "wide"
    assert "LAYERLAB_LIMITS__MAX_ACTIVATION_MB" in error["message"]


def test_too_many_layers_is_a_422(client: TestClient) -> None:
    layers = [{"id": f"a{i}", "type": "activation"} for i in range(300)]
    response = client.post(f"{API}/specs/validate", json={"input": {"shape": [2]},
                                                         "layers": layers})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "layers"


def test_export_pytorch_runs_and_matches(client: TestClient) -> None:
    response = client.post(f"{API}/specs/export/pytorch", json=MLP)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    assert 'filename="tinymlp.py"' in response.headers["content-disposition"]
    generated = types.ModuleType("generated")
    exec(compile(response.text, "generated.py", "exec"), generated.__dict__)
    model = build(parse_network(MLP)).eval()
    exported = generated.TinyMlp().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(5, 4)
    torch.testing.assert_close(exported(x), model(x))


def test_presets_list_and_get(client: TestClient) -> None:
    listing = client.get(f"{API}/presets").json()
    names = [p["name"] for p in listing]
    assert "mnist-keras-cnn" in names and "char-transformer" in names
    assert all(p["description"] for p in listing)
    spec = client.get(f"{API}/presets/lenet5").json()
    assert parse_network(spec).name == next(p["title"] for p in listing if p["name"] == "lenet5")


def test_unknown_preset_is_a_404_listing_known_ones(client: TestClient) -> None:
    response = client.get(f"{API}/presets/../../etc/passwd")
    assert response.status_code == 404
    response = client.get(f"{API}/presets/nope")
    assert response.status_code == 404
    assert "lenet5" in response.json()["detail"]


def test_openapi_docs_and_index_page(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert f"{API}/specs/validate" in schema["paths"]


@pytest.mark.parametrize("built", [True, False])
def test_the_index_page_serves_the_built_ui_or_says_how_to_build_it(
        tmp_path: Path, built: bool) -> None:
    static = tmp_path / "static"
    (static / "dist" / ".vite").mkdir(parents=True)
    if built:
        manifest = {"src/main.tsx": {"file": "assets/main-abc.js", "css": ["assets/main-def.css"],
                                     "isEntry": True}}
        (static / "dist" / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    settings = Settings(home=tmp_path / "home", static_dir=static, allowed_hosts=["testserver"])
    page = TestClient(create_app(settings)).get("/")
    assert page.status_code == 200
    if built:
        assert 'id="root"' in page.text
        assert 'src="http://testserver/static/dist/assets/main-abc.js"' in page.text
        assert 'href="http://testserver/static/dist/assets/main-def.css"' in page.text
    else:
        assert "make run" in page.text and "LeNet" in page.text
