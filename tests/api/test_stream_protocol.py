"""The stream's messages are published in /openapi.json (the UI's client is generated
from it): every kind the server can send, each with the fields it is sent with. A field
renamed on the server changes the schema (the committed one, and the UI's code generated
from it, then fail tests/test_ui_types.py and the UI's type check); these fail when the
schema and what the server sends drift apart."""

from __future__ import annotations

import json
import time
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect

from app.api import create_app
from app.api.routes.stream import SnapshotMessage, StreamMessage
from app.spec.events import TrainingEvent

API = "/api/v1"
STREAM = StreamMessage.model_fields["root"].annotation


def _members(union: Any) -> list[type[BaseModel]]:
    """The models of a union (pydantic keeps a field's annotation without its Annotated)."""
    return list(get_args(union))


def _kind(model: type[BaseModel]) -> str:
    (kind,) = get_args(model.model_fields["kind"].annotation)
    return str(kind)


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return create_app().openapi()["components"]["schemas"]


def test_the_stream_sends_the_snapshot_and_every_training_event() -> None:
    events = _members(get_args(TrainingEvent)[0])  # the union inside its Annotated
    assert set(_members(STREAM)) == {SnapshotMessage, *events}


def test_openapi_lists_every_message_kind_with_its_fields(schemas: dict[str, Any]) -> None:
    union = schemas["StreamMessage"]
    assert union["discriminator"]["propertyName"] == "kind"
    mapping = union["discriminator"]["mapping"]
    models = {_kind(model): model for model in _members(STREAM)}
    assert set(mapping) == set(models)
    for kind, model in models.items():
        name = mapping[kind].removeprefix("#/components/schemas/")
        assert name == model.__name__, kind
        component = schemas[name]
        assert component.get("description"), f"{name} is not documented"
        fields = {f.serialization_alias or f.alias or n for n, f in model.model_fields.items()}
        assert set(component["properties"]) == fields, name
        # every field is sent, defaults included: a client may rely on each one
        assert set(component["required"]) == fields, name
        assert component["properties"]["kind"]["const"] == kind


def test_the_snapshots_metrics_are_step_rows_and_epoch_rows(schemas: dict[str, Any]) -> None:
    metrics = schemas["RunMetrics"]["properties"]
    assert metrics["steps"]["$ref"].endswith("/StepColumns")
    assert metrics["epochs"]["$ref"].endswith("/EpochColumns")
    assert set(schemas["EpochColumns"]["properties"]) == {
        "step", "epoch", "seconds", "memory_mb", "values"}


@pytest.mark.slow
def test_what_a_run_streams_is_what_the_schema_says(client: TestClient,
                                                    schemas: dict[str, Any]) -> None:
    """A real run's messages, each with exactly the fields its component lists."""
    # long enough (a second or two) that the stream joins before the run ends
    created = client.post(f"{API}/runs", json={
        "model": {"preset": "toy-mlp"},
        "training": {"dataset": {"name": "circle", "options": {"n_samples": 400}},
                     "epochs": 30, "batch_size": 32, "device": "cpu"}}).json()
    mapping = schemas["StreamMessage"]["discriminator"]["mapping"]
    messages: list[dict[str, Any]] = []
    with client.websocket_connect(f"{API}/runs/{created['id']}/stream") as ws:
        while not messages or messages[-1]["kind"] != "finished":
            try:
                messages.append(json.loads(ws.receive_text()))
            except WebSocketDisconnect:  # over before we joined: the snapshot alone
                break
    run = messages[0]["run"]
    assert {"snapshot", "metrics", "epoch", "finished"} <= {m["kind"] for m in messages}, (
        run["status"], run["error"])
    for message in messages:
        component = schemas[mapping[message["kind"]].removeprefix("#/components/schemas/")]
        assert set(message) == set(component["properties"]), message["kind"]
        StreamMessage.model_validate(message)  # and each decodes as the union it is
    deadline = time.monotonic() + 30
    while client.get(f"{API}/runs/{created['id']}").json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    snapshot = client.get(f"{API}/runs/{created['id']}/stream").json()
    assert snapshot["kind"] == "snapshot"
    assert snapshot["metrics"]["epochs"]["epoch"] == list(range(30))
    assert set(snapshot["metrics"]["epochs"]) == set(schemas["EpochColumns"]["properties"])


def test_the_meta_answer_holds_the_rules_the_ui_follows(client: TestClient) -> None:
    meta = client.get(f"{API}/meta").json()
    assert set(meta["final_statuses"]) == {"completed", "stopped", "failed", "diverged"}
    assert "paused" in meta["continuable_statuses"] and "running" not in meta[
        "continuable_statuses"]
    assert meta["boundary_resolution"] >= 2
    assert meta["resumable_statuses"] == ["interrupted", "paused"]
    assert meta["resumable_failures"] == ["disk", "worker"]  # not "network": it fails again
