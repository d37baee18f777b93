"""One definition of a run's score, the number the runs table, a sweep's trials and the
dashboard show for it: a metric at its best epoch (with that epoch), or a test metric
measured after training."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from app.store.base import HEADLINE, RunRecord


class Score(BaseModel):
    metric: str
    value: float
    epoch: int | None = Field(description=(
        "The epoch (1 for the first) at which the metric was best; null for a test metric, "
        "measured once after training."))


def score(run: RunRecord, metric: str) -> Score | None:
    """A test metric after training, or an epoch metric at its best epoch (None until the
    run has reported it, or when it is not a finite number)."""
    test = metric.startswith("test_")
    value = (run.test_metrics if test else run.best_metrics).get(metric)
    if value is None or not math.isfinite(value):
        return None
    return Score(metric=metric, value=value, epoch=None if test else run.best_epochs.get(metric))


def headline(run: RunRecord) -> Score | None:
    """The run's score when no metric is named: validation accuracy, else validation loss,
    else training accuracy, else training loss, each at its best epoch."""
    for metric in HEADLINE:
        found = score(run, metric)
        if found is not None:
            return found
    return None
