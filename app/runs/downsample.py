"""Step rows thinned to what a chart can draw: a long run's history in a bounded number of
rows that keeps its shape. The rows are cut into buckets of consecutive steps; each bucket
keeps the rows where any metric has its lowest and its highest value, so a spike stays
visible however long the run, and the first and last rows are always kept."""

from __future__ import annotations

from collections.abc import Sequence

from app.spec.events import StepColumns

SNAPSHOT_POINTS = 1000
"""The most step rows a stream's snapshot sends; the metrics endpoint has every row."""


def extremes(column: Sequence[float | None], start: int, stop: int) -> list[int]:
    """The rows of the lowest and the highest value in column[start:stop] (None and NaN
    are passed over); none when the bucket has no value."""
    rows = [i for i in range(start, stop) if (v := column[i]) is not None and v == v]
    if not rows:
        return []
    return [min(rows, key=lambda i: column[i] or 0.0), max(rows, key=lambda i: column[i] or 0.0)]


def kept_rows(steps: StepColumns, points: int) -> list[int]:
    """Which rows to keep: all when there are at most `points`, else at most `points`,
    the first, the last and each bucket's extremes of every metric."""
    total = len(steps.step)
    if total <= points:
        return list(range(total))
    per_bucket = 2 * max(len(steps.values), 1)  # each metric's lowest and highest row
    buckets = max((points - 2) // per_bucket, 1)
    keep = {0, total - 1}
    for b in range(buckets):
        start, stop = b * total // buckets, (b + 1) * total // buckets
        for column in steps.values.values():
            keep.update(extremes(column, start, stop))
        if not steps.values:
            keep.add(start)
    return sorted(keep)


def downsample(steps: StepColumns, points: int = SNAPSHOT_POINTS) -> StepColumns:
    """At most `points` of the step rows (all of them when there are no more)."""
    rows = kept_rows(steps, points)
    if len(rows) == len(steps.step):
        return steps
    return StepColumns(step=[steps.step[i] for i in rows], epoch=[steps.epoch[i] for i in rows],
                       values={name: [column[i] for i in rows]
                               for name, column in steps.values.items()})
