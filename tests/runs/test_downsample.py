"""Thinning step rows for a snapshot: bounded, in order, first and last kept, and every
stretch's lowest and highest value of every metric kept, so a spike stays visible."""

from __future__ import annotations

import math

from app.runs.downsample import downsample
from app.spec.events import StepColumns


def columns(n: int, spike_at: int | None = None) -> StepColumns:
    loss: list[float | None] = [1.0 / (i + 1) for i in range(n)]
    if spike_at is not None:
        loss[spike_at] = 50.0
    return StepColumns(step=list(range(1, n + 1)), epoch=[i // 100 for i in range(n)],
                       values={"train_loss": loss,
                               "train_accuracy": [(i % 7) / 7 for i in range(n)]})


def test_few_rows_are_sent_as_they_are() -> None:
    steps = columns(999)
    assert downsample(steps, 1000) is steps


def test_many_rows_are_bounded_in_order_with_first_last_and_spikes() -> None:
    steps = columns(20_000, spike_at=12_345)
    thin = downsample(steps, 1000)
    assert 500 < len(thin.step) <= 1000
    assert thin.step == sorted(set(thin.step))
    assert (thin.step[0], thin.step[-1]) == (1, 20_000)
    assert 12_346 in thin.step and 50.0 in thin.values["train_loss"]
    assert min(thin.values["train_accuracy"]) == 0.0  # type: ignore[type-var]
    rows = [steps.step.index(s) for s in thin.step]
    assert thin.epoch == [steps.epoch[i] for i in rows]
    assert thin.values["train_accuracy"] == [steps.values["train_accuracy"][i] for i in rows]


def test_missing_and_nan_values_are_passed_over() -> None:
    steps = columns(5000)
    steps.values["train_loss"][100:4900] = [None] * 4800
    steps.values["train_loss"][50] = math.nan
    thin = downsample(steps, 100)
    assert len(thin.step) <= 100
    assert thin.step[0] == 1 and thin.step[-1] == 5000
