"""An ONNX file through the API: imported, listed, a run started from its weights (the
imported layers loaded, the run trains on), deleted. A file with operators no layer
expresses is a 422 naming each, bytes that are not ONNX a 422, another content type a 415;
nothing is kept of a refused file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from onnx import helper

from app.datasets.uploads import UploadQuotaExceeded, uploads_in
from app.nn.export import export_model
from app.nn.onnx_import import import_onnx
from app.runs.imported_models import imported_model, list_imports, save_import
from app.spec import NetworkSpec
from tests.helpers import wait_for_status
from tests.nn.onnx_files import onnx_model
from tests.nn.trained_weights import trained_state

API = "/api/v1"
ONNX = {"content-type": "application/octet-stream"}
CIRCLE = {"dataset": {"name": "circle", "options": {"n_samples": 200}}, "epochs": 1,
          "batch_size": 32, "device": "cpu"}


def _ids(client: TestClient) -> list[str]:
    return [model["id"] for model in client.get(f"{API}/imports").json()]


def test_an_imported_network_opens_and_starts_a_run(client: TestClient,
                                                    presets: dict[str, NetworkSpec]) -> None:
    spec = presets["toy-mlp"]
    data = export_model(spec, trained_state(spec), "onnx").data
    made = client.post(f"{API}/imports/onnx", content=data, headers=ONNX,
                       params={"filename": "toy.onnx"})
    assert made.status_code == 201, made.text
    imported = made.json()
    assert (imported["name"], imported["filename"], imported["carried"]) == (
        "toy", "toy.onnx", True)
    assert NetworkSpec.model_validate(imported["network"]) == spec
    assert imported["max_error"] < 1e-4 and imported["size"] > 0
    assert imported["id"] in _ids(client)
    assert client.get(f"{API}/imports/{imported['id']}").json() == imported

    run = client.post(f"{API}/runs", json={
        "model": imported["network"], "training": CIRCLE,
        "init_from": {"import_id": imported["id"]}}).json()
    assert run["origin"]["kind"] == "import"
    assert run["origin"]["run_id"] == imported["id"]
    assert run["origin"]["loaded"] == ["hidden1", "hidden2", "out"]
    assert wait_for_status(client, run["id"], {"completed"})["status"] == "completed"

    assert client.delete(f"{API}/imports/{imported['id']}").status_code == 204
    assert client.get(f"{API}/imports/{imported['id']}").status_code == 404
    gone = client.post(f"{API}/runs", json={"model": imported["network"], "training": CIRCLE,
                                            "init_from": {"import_id": imported["id"]}})
    assert gone.status_code == 422 and "no imported network" in gone.text


def test_unexpressed_operators_are_each_named_and_nothing_is_kept(client: TestClient) -> None:
    model = onnx_model([helper.make_node("MatMul", ["x", "w"], ["h"], name="/fc/MatMul"),
                        helper.make_node("Sin", ["h"], ["y"], name="/wave/Sin")],
                       {"w": np.ones((2, 2))}, [2], [2])
    before = _ids(client)
    refused = client.post(f"{API}/imports/onnx", content=model, headers=ONNX)
    assert refused.status_code == 422
    body = refused.json()
    assert [(e["code"], e["params"]["op"], e["field"]) for e in body["errors"]] == [
        ("unsupported_operator", "Sin", "/wave/Sin")]
    assert "Nothing was imported" in body["detail"]
    assert _ids(client) == before


@pytest.mark.parametrize(("content", "headers", "status"), [
    (b"not a model", ONNX, 422),
    (b"{}", {"content-type": "application/json"}, 415),
])
def test_other_bodies_are_refused(client: TestClient, content: bytes, headers: dict[str, str],
                                  status: int) -> None:
    before = _ids(client)
    assert client.post(f"{API}/imports/onnx", content=content,
                       headers=headers).status_code == status
    assert _ids(client) == before


def test_an_import_over_the_uploads_quota_is_refused_with_nothing_written(
        tmp_path: Path, presets: dict[str, NetworkSpec]) -> None:
    spec = presets["digits-mlp"]
    imported = import_onnx(export_model(spec, trained_state(spec), "onnx").data)
    with uploads_in(tmp_path):
        with pytest.raises(UploadQuotaExceeded, match="quota"):
            save_import(imported, "digits", "digits.onnx", quota_bytes=1000)
        assert list(tmp_path.rglob("*")) == []
        kept = save_import(imported, "digits", "digits.onnx", quota_bytes=10**8)
        assert [m.id for m in list_imports()] == [kept.id]
        assert imported_model(kept.id).spec == spec
