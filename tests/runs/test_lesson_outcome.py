"""What lesson claims read from a learner's stored run: the step losses give the steps
per epoch, their noise and whether the run diverged, the same as the events of the same
run trained in-process."""

from __future__ import annotations

import math

import pytest

from app.runs import run_local
from app.runs.lesson_results import run_outcome
from app.runs.service import RunService
from app.spec import NetworkSpec, parse_network
from app.spec.events import MetricsEvent, TrainingEvent
from app.spec.lesson_checks import step_outcome
from app.spec.training import TrainingSpec
from tests.runs.conftest import TOY_NET, finished, toy_training, wait_for

pytestmark = pytest.mark.slow

DEEP = parse_network({"name": "deep", "input": {"shape": [1]}, "layers": [
    {"id": "h1", "type": "dense", "units": 64, "activation": "relu"},
    {"id": "h2", "type": "dense", "units": 64, "activation": "relu"},
    {"id": "out", "type": "dense", "units": 1}]})
EXPLODING = TrainingSpec.model_validate({
    "dataset": {"name": "sine", "options": {"n_samples": 2000}}, "epochs": 2, "batch_size": 16,
    "optimizer": {"name": "sgd", "lr": 1.0}, "loss": "mse", "device": "cpu"})


def in_process(spec: NetworkSpec, training: TrainingSpec) -> dict[str, float]:
    """What the claims read from the step losses of the same run trained in-process."""
    events: list[TrainingEvent] = []
    run_local(spec, training, events.append)
    blocks = [e for e in events if isinstance(e, MetricsEvent)]
    return step_outcome([float(epoch) for b in blocks for epoch in b.epoch],
                        [loss for b in blocks for loss in b.values["train_loss"]])


def test_a_completed_run_reads_its_steps_per_epoch_and_their_noise(
        service: RunService) -> None:
    run = service.create(TOY_NET, toy_training())
    done = wait_for(service, run.id, finished)
    assert done.status == "completed", done.error
    found = run_outcome(service, done)
    assert found is not None
    expected = in_process(TOY_NET, toy_training())
    assert found["steps_per_epoch"] == expected["steps_per_epoch"] == done.step / 3
    assert found["diverged"] == 0.0 and found["epochs"] == 3
    assert found["loss_noise"] > 0
    # the worker may use other threads than this process: sums in another order
    assert found["loss_noise"] == pytest.approx(expected["loss_noise"], rel=1e-3)


def test_a_diverged_run_is_judged_and_reads_as_diverged(service: RunService) -> None:
    run = service.create(DEEP, EXPLODING)
    done = wait_for(service, run.id, finished)
    assert done.status == "diverged", done.error
    found = run_outcome(service, done)
    assert found is not None  # judged, unlike a run still training or one that failed
    assert found["diverged"] == 1.0 and found["epochs"] == 0  # in its first epoch
    assert "loss_noise" not in found and "test_loss" not in found
    expected = in_process(DEEP, EXPLODING)
    assert expected["diverged"] == 1.0
    # the steps of the report block it diverged in, as the events gave them
    assert found["steps_per_epoch"] == expected["steps_per_epoch"] >= done.step
    assert not math.isfinite(service.metrics(run.id, names=["train_loss"]).columns["train_loss"][-1]
                             or 0.0)
