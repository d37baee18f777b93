"""The course's output layers, typed as the course shows them: `Dense(10, softmax)` with
cross-entropy and `Dense(1, sigmoid)` with binary cross-entropy. LayerLab's losses take
logits, so these train on the logits under the squash (as Keras does) and learn as well
as the logits version; the user is told once, and exports keep the squash."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.nn import build
from app.runs.in_process import run_local
from app.spec import parse_network
from app.spec.events import StartedEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.train.session import check_training


def mlp(inputs: int, units: int, squash: str | None, hidden: str = "relu") -> dict[str, Any]:
    out: dict[str, Any] = {"id": "out", "type": "dense", "units": units}
    if squash is not None:
        out["activation"] = squash
    return {"name": "course mlp", "input": {"shape": [inputs]}, "layers": [
        {"id": "h", "type": "dense", "units": 32, "activation": hidden}, out]}


DIGITS = {"dataset": {"name": "digits"}, "epochs": 5, "batch_size": 32, "device": "cpu",
          "optimizer": {"name": "adam", "lr": 0.01}, "loss": "cross_entropy"}
XOR = {"dataset": {"name": "xor"}, "epochs": 20, "batch_size": 32, "device": "cpu",
       "optimizer": {"name": "adam", "lr": 0.01}, "loss": "bce"}


def train(spec: dict[str, Any], training: dict[str, Any]) -> tuple[float, str | None]:
    events: list[TrainingEvent] = []
    final = run_local(parse_network(spec), TrainingSpec.model_validate(training),
                      events.append)
    assert final.status == "completed", final.reason
    (started,) = [e for e in events if isinstance(e, StartedEvent)]
    return final.metrics["test_accuracy"], started.notice


@pytest.mark.parametrize(("case", "spec", "logits", "training"), [
    ("digits, Dense(10, softmax) + cross_entropy", mlp(64, 10, "softmax"), mlp(64, 10, None),
     DIGITS),
    ("xor, Dense(1, sigmoid) + bce", mlp(2, 1, "sigmoid", "tanh"), mlp(2, 1, None, "tanh"),
     XOR),
])
def test_a_squashed_output_trains_as_well_as_logits(
        case: str, spec: dict[str, Any], logits: dict[str, Any], training: dict[str, Any],
        record_property: Any) -> None:
    """Same seed, so the same weights: the accuracies agree (within a point, as claimed;
    without training on the logits digits lost 3 points and xor stayed near chance)."""
    squashed, notice = train(spec, training)
    reference, none = train(logits, training)
    assert abs(squashed - reference) <= 0.01, case
    assert none is None
    squash = spec["layers"][-1]["activation"]
    assert notice is not None and f"ends in {squash}" in notice and "logits" in notice
    record_property("detail", f"{case}: {squashed:.3f} vs logits {reference:.3f}")


def test_only_the_squash_the_loss_applies_is_left_out() -> None:
    """A sigmoid before mse (a regression into [0, 1]) stays; nll reads log-probabilities,
    so a softmax before it is the user's choice and stays as well."""
    cases = [(mlp(2, 1, "sigmoid"), {"dataset": {"name": "sine"}, "loss": "mse"}, None),
             (mlp(64, 10, "softmax"), {"dataset": {"name": "digits"}, "loss": "nll"}, None),
             (mlp(64, 10, "softmax"), {"dataset": {"name": "digits"}, "loss": "mse"}, "softmax"),
             (mlp(64, 10, "sigmoid"), {"dataset": {"name": "digits"}}, None)]
    for spec, training, expected in cases:
        spec = spec | {"input": {"shape": [1 if training["dataset"]["name"] == "sine" else
                                           spec["input"]["shape"][0]]}}
        checked = check_training(parse_network(spec), TrainingSpec.model_validate(training))
        assert checked.on_logits == expected, training


def test_the_network_gives_logits_only_where_the_loss_squashes() -> None:
    spec = parse_network(mlp(64, 10, "softmax"))
    checked = check_training(spec, TrainingSpec.model_validate(DIGITS))
    model, plain = checked.build(), build(spec)
    plain.load_state_dict(model.state_dict())  # the squash has no weights: same keys
    x = torch.randn(4, 64)
    with torch.no_grad():
        assert torch.allclose(torch.softmax(model(x), dim=-1), plain(x), atol=1e-6)
    with pytest.raises(ValueError, match="not in a softmax or sigmoid"):
        build(parse_network(mlp(64, 10, None))).output_logits()


def test_validation_notes_and_the_export_say_what_training_does(client: TestClient) -> None:
    spec = mlp(64, 10, "softmax")
    notes = client.post("/api/v1/specs/validate", json=spec).json()["notes"]
    assert len(notes) == 1 and "logits before it" in notes[0] and "cross_entropy" in notes[0]
    assert client.post("/api/v1/specs/validate", json=mlp(64, 10, None)).json()["notes"] == []

    run = client.post("/api/v1/runs", json={"model": spec, "training": DIGITS | {
        "epochs": 1}}).json()
    deadline = time.monotonic() + 120
    while (info := client.get(f"/api/v1/runs/{run['id']}").json())["status"] in (
            "queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert info["status"] == "completed", info["error"]
    exported = client.get(f"/api/v1/runs/{run['id']}/export/pytorch")
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        readme = archive.read("README.md").decode()
        code = archive.read("model.py").decode()
    assert "## How it was trained" in readme and "reads the logits before the softmax" in readme
    assert "nn.Softmax(dim=-1)" in code  # the exported network gives probabilities
    # inspection reads the logits and shows their softmax: the spec's probabilities, not
    # a softmax of them (which would flatten every answer to about 0.1-0.23)
    predicted = client.post(f"/api/v1/runs/{run['id']}/inspect/predict", json={"sample": 0})
    assert predicted.status_code == 200, predicted.text
    probabilities = predicted.json()["probabilities"]
    assert abs(sum(probabilities) - 1) < 1e-4 and max(probabilities) > 0.5
