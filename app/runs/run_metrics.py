"""A run's metrics as the API reads them: a page of columns at most so many values a
metric (the store's summaries past that), and what a stream's snapshot starts with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.runs.recorder import is_step_metric, split_metrics
from app.spec.events import RunMetrics
from app.store.base import RunStore

MetricColumns = dict[str, list[float | int | None]]
FULL_ROWS = 200_000  # the most steps one request gets at full resolution


class MetricRangeTooLong(ValueError):
    """More steps than one answer holds at full resolution."""


@dataclass(frozen=True)
class MetricPage:
    """Metric columns, how many steps the range holds, whether they are thinned, and the
    run's last stored step (to page on from)."""

    columns: MetricColumns
    steps: int
    downsampled: bool
    last_step: int | None


@dataclass(frozen=True)
class SnapshotMetrics:
    """A snapshot's metrics, how many steps they stand for, whether they are thinned."""

    metrics: RunMetrics
    total_steps: int
    downsampled: bool


def metric_page(store: RunStore, run_id: str, names: Sequence[str] | None,
                since_step: int | None, until_step: int | None, points: int) -> MetricPage:
    """See RunService.metrics."""
    overview = store.get_metric_overview(run_id, points or FULL_ROWS, names=names,
                                         since_step=since_step, until_step=until_step)
    if not points and overview.represented is not None:
        raise MetricRangeTooLong(
            f"the steps asked for hold {overview.represented:,} rows, more than "
            f"{FULL_ROWS:,} at full resolution: ask for a shorter range (since_step, "
            f"until_step) or for points")
    steps = overview.columns["step"]
    count = len(steps) if overview.represented is None else overview.represented
    return MetricPage(overview.columns, count, overview.represented is not None,
                      store.last_metric_step(run_id))


def snapshot_metrics(store: RunStore, run_id: str, since_step: int | None,
                     points: int) -> SnapshotMetrics:
    """Step rows (at most `points` values of each metric, fewer when there are more than
    two, from the summaries) and every epoch row, after `since_step` when given."""
    names = store.metric_names(run_id)
    step_names = [name for name in names if is_step_metric(name)]
    epochs = split_metrics(store.get_sparse_metrics(
        run_id, [name for name in names if not is_step_metric(name)],
        since_step=since_step)).epochs
    overview = store.get_metric_overview(  # 2 * points rows at most in all
        run_id, 2 * points // max(len(step_names), 2), names=step_names,
        since_step=since_step)
    steps = split_metrics(overview.columns).steps
    total = len(steps.step) if overview.represented is None else overview.represented
    return SnapshotMetrics(RunMetrics(steps=steps, epochs=epochs), total,
                           overview.represented is not None)
