"""The training loop: learning, determinism, reporting, divergence, early stopping."""

from __future__ import annotations

import math

import pytest
import torch

from app.spec.events import EpochEvent, MetricsEvent, StartedEvent
from app.spec.training import TrainingSpec
from tests.train.conftest import TrainFn, config, line_data


def test_learns_the_circle(train: TrainFn) -> None:
    final, events, _ = train(config(epochs=15))
    assert final.status == "completed"
    assert final.metrics["test_accuracy"] > 0.9
    assert isinstance(events[0], StartedEvent)
    assert events[-1] == final


def test_same_seed_same_metrics(train: TrainFn) -> None:
    def metrics(seed: int = 0) -> list[MetricsEvent]:
        return [e for e in train(config(seed=seed))[1] if isinstance(e, MetricsEvent)]

    a, b, c = metrics(), metrics(), metrics(seed=1)
    assert len(a) == len(b) and all(x.same_values(y) for x, y in zip(a, b, strict=True))
    assert not all(x.same_values(y) for x, y in zip(a, c, strict=True))


def test_metrics_come_in_columnar_batches(train: TrainFn) -> None:
    _, events, _ = train(config(epochs=2, report_every=4, validation_split=0.0))
    batches = [e for e in events if isinstance(e, MetricsEvent)]
    steps = [s for e in batches for s in e.step]
    steps_per_epoch = math.ceil(480 / 32)
    assert steps == list(range(1, 2 * steps_per_epoch + 1))
    assert len(batches) == 2 * math.ceil(steps_per_epoch / 4)
    for batch in batches:
        assert set(batch.values) == {"train_loss", "train_accuracy"}
        assert all(len(v) == len(batch.step) for v in batch.values.values())
        assert all(0.0 <= a <= 1.0 for a in batch.values["train_accuracy"])


def test_epoch_metrics_include_validation(train: TrainFn) -> None:
    _, events, _ = train(config(epochs=2, validation_split=0.25))
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert [e.epoch for e in epochs] == [0, 1]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"} <= set(
        epochs[0].metrics)
    started = events[0]
    assert isinstance(started, StartedEvent)
    assert (started.train_samples, started.val_samples) == (360, 120)


def test_regression_reports_mae_and_r2(train: TrainFn) -> None:
    spec = {"input": {"shape": [3]}, "layers": [{"id": "out", "type": "dense", "units": 1}]}
    cfg = config(dataset={"name": "line"}, epochs=40, optimizer={"lr": 0.05})
    final, events, _ = train(cfg, data=line_data(), spec=spec)
    assert final.metrics["test_r2"] > 0.95
    assert final.metrics["test_mae"] < 0.1
    assert "val_r2" in [e for e in events if isinstance(e, EpochEvent)][-1].metrics


def test_divergence_ends_the_run_with_the_step(train: TrainFn) -> None:
    spec = {"input": {"shape": [3]}, "layers": [{"id": "out", "type": "dense", "units": 1}]}
    cfg = config(dataset={"name": "line"}, optimizer={"name": "sgd", "lr": 10.0})
    final, _, _ = train(cfg, data=line_data(), spec=spec)
    assert final.status == "diverged"
    assert final.step > 0
    assert f"step {final.step}" in (final.reason or "")


def test_early_stopping_stops_and_restores_best(train: TrainFn) -> None:
    cfg = config(epochs=50, optimizer={"lr": 0.05},
                 early_stopping={"enabled": True, "patience": 2, "monitor": "val_loss"})
    final, events, _ = train(cfg)
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert final.status == "completed"
    assert len(epochs) < 50
    assert "early stopping" in (final.reason or "")
    best = min(e.metrics["val_loss"] for e in epochs)
    assert epochs[-1].metrics["val_loss"] > best  # the last epochs were worse...


@pytest.mark.parametrize("optimizer", [
    {"name": "sgd", "lr": 0.1}, {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"name": "adagrad", "lr": 0.1}, {"name": "rmsprop", "lr": 0.01},
    {"name": "adam", "lr": 0.01}, {"name": "adamw", "lr": 0.01, "weight_decay": 0.01},
])
def test_every_optimizer_learns(train: TrainFn, optimizer: dict[str, object]) -> None:
    _, events, _ = train(config(epochs=4, optimizer=optimizer))
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert epochs[-1].metrics["train_loss"] < epochs[0].metrics["train_loss"]


@pytest.mark.parametrize("schedule", [
    {"name": "step", "step_size": 1, "gamma": 0.5}, {"name": "exponential", "gamma": 0.5},
    {"name": "cosine"}, {"name": "reduce_on_plateau", "patience": 0, "gamma": 0.5},
])
def test_schedules_change_the_learning_rate(train: TrainFn, schedule: dict[str, object]) -> None:
    _, events, _ = train(config(epochs=4, schedule=schedule))
    rates = [e.metrics["lr"] for e in events if isinstance(e, EpochEvent)]
    assert rates[0] == pytest.approx(0.01)
    if schedule["name"] != "reduce_on_plateau":
        assert rates[-1] < rates[0]


def test_l1_and_l2_shrink_weights(train: TrainFn) -> None:
    def weight_norm(model: torch.nn.Module) -> float:
        return sum(p.abs().sum().item() for p in model.parameters() if p.dim() > 1)

    plain = weight_norm(train(config(epochs=5))[2])
    assert weight_norm(train(config(epochs=5, l1=0.01))[2]) < plain
    assert weight_norm(train(config(epochs=5, l2=0.05))[2]) < plain


def test_gradient_clipping_runs(train: TrainFn) -> None:
    final, _, _ = train(config(grad_clip=0.1))
    assert final.status == "completed"


def test_nesterov_needs_sgd_momentum() -> None:
    with pytest.raises(ValueError, match="nesterov"):
        TrainingSpec.model_validate({"dataset": {"name": "x"},
                                     "optimizer": {"name": "adam", "nesterov": True}})


def test_unknown_monitor_is_named(train: TrainFn) -> None:
    cfg = config(early_stopping={"enabled": True, "monitor": "val_f1"})
    with pytest.raises(ValueError, match="val_f1"):
        train(cfg)


def test_a_last_batch_of_one_joins_the_previous(train: TrainFn) -> None:
    spec = {"input": {"shape": [2]}, "layers": [
        {"id": "h", "type": "dense", "units": 8}, {"id": "bn", "type": "batchnorm"},
        {"id": "out", "type": "dense", "units": 2}]}
    # 480 training samples, batches of 479: a remainder of one sample.
    final, events, _ = train(config(batch_size=479, validation_split=0.0), spec=spec)
    assert final.status == "completed"
    assert events[0].steps_per_epoch == 1  # type: ignore[union-attr]


def test_regression_output_is_reshaped_to_the_target(train: TrainFn) -> None:
    spec = {"input": {"shape": [3]}, "layers": [
        {"id": "lin", "type": "dense", "units": 1}, {"id": "out", "type": "reshape",
                                                     "shape": [1, 1]}]}
    cfg = config(dataset={"name": "line"}, epochs=40, optimizer={"lr": 0.05})
    final, _, _ = train(cfg, data=line_data(), spec=spec)
    assert final.metrics["test_r2"] > 0.95  # a (B, 1, 1) output learns like (B, 1)
