"""A long run's metrics at a chart's resolution, on every backend: each metric's lowest
and highest value of every stretch of steps, read from summaries kept as rows are
written, so a spike survives; short ranges come row by row; a resumed run's rewritten
steps leave the summaries as if written once; the first and last rows are kept."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.store.base import MetricRow
from app.store.sql import SqlRunStore
from app.store.summaries import WIDTHS, level_for
from app.store.tables import MetricSummaryRow
from tests.postgres import PostgresServer
from tests.store.conftest import BACKENDS
from tests.store.factories import make_run

STEPS = 20_000
SPIKE = 12_345


def loss(step: int) -> float:
    return 100.0 if step == SPIKE else 1 / step


def write(store: SqlRunStore, run_id: str, steps: range, value: Any = loss,
          block: int = 500) -> None:
    """Rows in blocks, as a run reports them: a loss, an accuracy, and an epoch row (the
    validation loss) every 1,000 steps."""
    for start in range(steps.start, steps.stop, block):
        store.append_metrics(run_id, [MetricRow(step=s, epoch=s // 1000, values={
            "train_loss": value(s), "train_accuracy": (s % 100) / 100,
            **({"val_loss": 0.5} if s % 1000 == 0 else {})})
            for s in range(start, min(start + block, steps.stop))])


@pytest.fixture(scope="module", params=BACKENDS)
def long_run(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlRunStore]:
    """A store of each backend holding one run of STEPS steps, written once for the
    tests that only read it (writing it takes seconds on PostgreSQL)."""
    server: PostgresServer | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('long-run') / 'layerlab.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        database = server.new_database()
        url = server.url(database)
    store = SqlRunStore(url)
    store.create_run(make_run("r1"))
    write(store, "r1", range(1, STEPS + 1))
    yield store
    store.close()
    if server is not None:
        server.drop_database(database)


def test_a_long_run_comes_at_a_charts_resolution_with_its_spike(long_run: SqlRunStore) -> None:
    columns, represented = long_run.get_metric_overview("r1", points=1000)
    assert represented == STEPS
    kept = [(s, v) for s, v in zip(columns["step"], columns["train_loss"], strict=True)
            if v is not None]
    assert len(kept) <= 1000 + 2
    assert (SPIKE, 100.0) in kept  # the highest value of its stretch
    assert kept[0] == (1, 1.0) and kept[-1] == (STEPS, 1 / STEPS)  # first and last
    assert columns["step"] == sorted(columns["step"])
    epochs = [s for s, v in zip(columns["step"], columns["val_loss"], strict=True) if v]
    assert epochs and all(s % 1000 == 0 for s in epochs)


def test_each_stretch_keeps_its_lowest_and_highest_value(long_run: SqlRunStore) -> None:
    level = level_for(STEPS, 1000)
    assert level is not None
    width = WIDTHS[level]
    columns, _ = long_run.get_metric_overview("r1", points=1000, names=["train_accuracy"])
    kept = dict(zip(columns["step"], columns["train_accuracy"], strict=True))
    for bucket in range(STEPS // width + 1):
        steps = [s for s in range(max(1, bucket * width), min(STEPS, (bucket + 1) * width - 1) + 1)]
        values = [(s % 100) / 100 for s in steps]
        shown = [v for s, v in kept.items() if s in set(steps)]
        assert min(values) in shown and max(values) in shown, bucket


def test_a_short_range_comes_row_by_row(long_run: SqlRunStore) -> None:
    columns, represented = long_run.get_metric_overview("r1", points=1000, since_step=5000,
                                                        until_step=5600)
    assert represented is None
    assert columns == long_run.get_metrics("r1", since_step=5000, until_step=5600)
    assert columns["step"] == list(range(5001, 5601))


def test_a_range_at_a_charts_resolution_stays_in_the_range(long_run: SqlRunStore) -> None:
    columns, represented = long_run.get_metric_overview("r1", points=200, since_step=10_000,
                                                        until_step=15_000)
    assert represented is not None and 5000 <= represented <= 5000 + 2 * 1024
    assert min(columns["step"]) == 10_001 and max(columns["step"]) == 15_000
    assert SPIKE in columns["step"]


def summaries(store: SqlRunStore, run_id: str) -> list[tuple[Any, ...]]:
    s = MetricSummaryRow
    with store.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(
            s.name, s.level, s.bucket, s.n, s.min_step, s.min_value, s.max_step, s.max_value)
            .where(s.run_id == run_id)))


@pytest.mark.parametrize("cut", [7_000, 7_167, 8_191, 4_095])
def test_steps_written_again_after_a_resume_summarise_as_if_written_once(
        store: SqlRunStore, cut: int) -> None:
    store.create_run(make_run("resumed"))
    store.create_run(make_run("once"))
    end = 10_000  # past the widest stretch a cut falls in (8,192 steps)
    write(store, "resumed", range(1, 9_001), value=lambda s: 2.0 + math.sin(s))
    store.delete_metrics_after("resumed", cut)  # resumed from a checkpoint at `cut`
    write(store, "resumed", range(cut + 1, end + 1))
    write(store, "once", range(1, cut + 1), value=lambda s: 2.0 + math.sin(s))
    write(store, "once", range(cut + 1, end + 1))
    assert summaries(store, "resumed") == summaries(store, "once")


def test_names_are_those_with_values(long_run: SqlRunStore) -> None:
    assert long_run.metric_names("r1") == ["train_accuracy", "train_loss", "val_loss"]
    assert long_run.metric_names("nope") == []


@pytest.mark.parametrize("every", [1000, 20, 12, 5, 1])
def test_sparse_metrics_read_from_summaries_are_every_row(store: SqlRunStore, every: int) -> None:
    """Epoch metrics (a value every `every` steps; NaN at times, equal values side by
    side) come exactly as the stored rows, after any step."""
    store.create_run(make_run("r1"))
    store.append_metrics("r1", [MetricRow(step=s, epoch=s // every, values={
        "train_loss": 1 / s, **({"val_loss": math.nan if s % (7 * every) == 0 else 0.5,
                                 "epoch_seconds": float(s // 100)} if s % every == 0 else {})})
        for s in range(1, 6001)])
    names = ["epoch_seconds", "val_loss"]
    for since in (None, 0, 999, 1003, 5999):
        expected = store.get_metrics("r1", names=names, since_step=since)
        found = store.get_sparse_metrics("r1", names, since_step=since)
        assert found.keys() == expected.keys()
        assert found["step"] == expected["step"] and found["epoch"] == expected["epoch"]
        for name in names:
            assert [None if isinstance(v, float) and math.isnan(v) else v for v in found[name]] \
                == [None if isinstance(v, float) and math.isnan(v) else v for v in expected[name]]


def test_rows_written_again_are_not_counted_twice(store: SqlRunStore) -> None:
    """A journal replayed or a write retried: the same rows again leave the summaries as
    if written once; rows written again with other values, as if written so at first."""
    for run_id in ("twice", "once", "changed", "fresh"):
        store.create_run(make_run(run_id))
    write(store, "twice", range(1, 3001))
    write(store, "twice", range(1, 3001), block=700)
    write(store, "once", range(1, 3001))
    assert summaries(store, "twice") == summaries(store, "once")
    assert store.get_metric_overview("twice", points=100).represented == 3000
    write(store, "changed", range(1, 3001))
    write(store, "changed", range(1001, 2001), value=lambda s: 7.0 + s % 3)
    write(store, "fresh", range(1, 1001))
    write(store, "fresh", range(1001, 2001), value=lambda s: 7.0 + s % 3)
    write(store, "fresh", range(2001, 3001))
    assert summaries(store, "changed") == summaries(store, "fresh")
