"""Runs that start from another run's weights: transfer learning with frozen layers and
per-layer learning rates, and a paused run continued after an edit."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from app.runs.origins import OriginError
from app.runs.service import RunService, RunStateError
from app.spec import SpecError, parse_network
from app.spec.origin import InitFrom
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import load_checkpoint
from tests.runs.conftest import finished, toy_training, wait_for

pytestmark = pytest.mark.slow


def deep(hidden: int = 16, **out: Any) -> Any:
    return parse_network({"name": "deep", "input": {"shape": [2]}, "layers": [
        {"id": "h1", "type": "dense", "units": 16, "activation": "tanh"},
        {"id": "h2", "type": "dense", "units": hidden, "activation": "tanh"},
        {"id": "out", "type": "dense", "units": 2, **out}]})


def trained(service: RunService, **training: Any) -> str:
    run = service.create(deep(), toy_training(**training))
    assert wait_for(service, run.id, finished).status == "completed"
    return run.id


def final_weights(service: RunService, run_id: str) -> dict[str, torch.Tensor]:
    return load_checkpoint(service.run_dir(run_id) / CHECKPOINT_NAME).model


def test_transfer_loads_matching_layers_and_frozen_ones_stay_as_loaded(
        service: RunService) -> None:
    source = trained(service)
    spec = parse_network({"name": "head", "input": {"shape": [2]}, "layers": [
        {"id": "h1", "type": "dense", "units": 16, "activation": "tanh", "trainable": False},
        {"id": "h2", "type": "dense", "units": 16, "activation": "tanh", "trainable": False},
        {"id": "new_out", "type": "dense", "units": 2}]})
    run = service.create(spec, toy_training(), init_from=InitFrom(run_id=source))
    assert run.origin is not None and run.origin.kind == "transfer"
    assert run.origin.loaded == ["h1", "h2"]
    assert [(s.layer, s.reason) for s in run.origin.skipped] == [
        ("new_out", "the source has no layer with this id")]
    assert wait_for(service, run.id, finished).status == "completed"
    before, after = final_weights(service, source), final_weights(service, run.id)
    for key in ("h1.0.weight", "h1.0.bias", "h2.0.weight", "h2.0.bias"):
        assert torch.equal(before[key], after[key]), key  # taken, then frozen
    assert service.get(run.id).origin == run.origin  # stored with the run


def test_layer_learning_rates_scale_each_layers_steps(service: RunService) -> None:
    """A layer at 0 x ... is impossible (> 0), so compare 1e-6 x with 1 x: the damped
    layer barely moves from the weights it was given, the other one does."""
    source = trained(service)
    run = service.create(deep(), toy_training(layer_lr={"h1": 1e-6}),
                         init_from=InitFrom(run_id=source))
    assert wait_for(service, run.id, finished).status == "completed"
    before, after = final_weights(service, source), final_weights(service, run.id)
    assert (after["h1.0.weight"] - before["h1.0.weight"]).abs().max() < 1e-5
    assert (after["h2.0.weight"] - before["h2.0.weight"]).abs().max() > 1e-3


def test_transfer_without_a_matching_layer_is_refused_naming_why(service: RunService) -> None:
    source = trained(service)
    other = parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "a", "type": "dense", "units": 8}, {"id": "b", "type": "dense", "units": 2}]})
    with pytest.raises(OriginError, match="a: the source has no layer with this id"):
        service.create(other, toy_training(), init_from=InitFrom(run_id=source))
    with pytest.raises(OriginError, match="keeps no weights of epoch 99"):
        service.create(deep(), toy_training(), init_from=InitFrom(run_id=source, epoch=99))
    assert len(service.list_runs()) == 1


def test_a_paused_run_continues_after_widening_a_layer(service: RunService) -> None:
    """Pause, widen h2 and lower the learning rate: h1 keeps its weights, h2 and the
    output start fresh, and the steps and epochs count on from the pause."""
    big = {"name": "circle", "options": {"n_samples": 3000}}
    training = toy_training(dataset=big, epochs=6)
    parent = service.create(deep(), training)
    wait_for(service, parent.id, lambda r: r.epoch >= 1)
    service.pause(parent.id)
    paused = wait_for(service, parent.id, finished)
    assert paused.status == "paused"
    parent_h1 = final_weights(service, parent.id)["h1.0.weight"]

    slower = toy_training(dataset=big, epochs=6, optimizer={"lr": 0.005})
    child = service.continue_run(parent.id, deep(hidden=32), slower)
    origin = child.origin
    assert origin is not None and origin.kind == "edit" and origin.run_id == parent.id
    assert origin.loaded == ["h1"] and [s.layer for s in origin.skipped] == ["h2", "out"]
    assert origin.step == paused.step and origin.start_epoch == paused.epoch
    done = wait_for(service, child.id, finished)
    assert done.status == "completed"
    steps = service.metrics(child.id, names=["train_loss"]).columns["step"]
    assert steps[0] == paused.step + 1
    assert service.get(parent.id).status == "paused"  # left as it was
    assert torch.equal(final_weights(service, parent.id)["h1.0.weight"], parent_h1)


def test_edits_that_cannot_continue_are_refused_and_the_run_stays_intact(
        service: RunService) -> None:
    parent = trained(service, epochs=2)
    mismatched = parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "h1", "type": "dense", "units": 16},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "out", "type": "add", "inputs": ["h1", "h2"]}]})
    with pytest.raises(SpecError) as refused:
        service.continue_run(parent, mismatched)
    assert refused.value.issues[0].layer_id == "out"
    with pytest.raises(OriginError, match=r"at epoch 2: set training\.epochs above it"):
        service.continue_run(parent, training=toy_training(epochs=2))
    running = service.create(deep(), toy_training(epochs=400))
    with pytest.raises(RunStateError, match="pause it first"):
        service.continue_run(running.id)
    service.stop(running.id)
    assert service.get(parent).status == "completed"
