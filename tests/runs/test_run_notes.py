"""A run keeps what it told its user as it trained: the note on its learning rate and
the notice that it reads its output's logits are on the run, for a page opened later."""

from __future__ import annotations

from app.runs.service import RunService
from app.spec import parse_network
from tests.runs.conftest import toy_training, wait_for

SOFTMAX_NET = parse_network({"name": "course", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2, "activation": "softmax"},
]})


def test_a_run_keeps_its_notes(service: RunService) -> None:
    run = service.create(SOFTMAX_NET, toy_training(
        epochs=4, optimizer={"name": "sgd", "lr": 1e-4}))
    done = wait_for(service, run.id, lambda r: r.status == "completed")
    assert len(done.notes) == 2, done.notes
    logits, advice = done.notes
    assert "ends in softmax" in logits and "logits" in logits
    assert "learning rate 0.0001 is likely too low; try 0.001" in advice


def test_a_run_that_trains_well_has_none(service: RunService) -> None:
    run = service.create(parse_network({"name": "plain", "input": {"shape": [2]}, "layers": [
        {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
        {"id": "out", "type": "dense", "units": 2}]}), toy_training())
    assert wait_for(service, run.id, lambda r: r.status == "completed").notes == []
