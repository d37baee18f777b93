"""The RunStore contract, run against every backend (see conftest.store)."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta, timezone

import pytest

from app.store.base import MetricRow
from app.store.sql import INTERRUPTED_ERROR, SqlRunStore
from tests.store.factories import T0, make_run


def test_create_get_round_trip(store: SqlRunStore) -> None:
    run = make_run()
    run = run.model_copy(update={
        "started_at": T0 + timedelta(seconds=5), "device": "cpu", "epoch": 2, "step": 40,
        "latest_metrics": {"loss": 0.25, "accuracy": 0.9}, "best_metrics": {"loss": 0.2},
    })
    store.create_run(run)
    got = store.get_run("r1")
    assert got == run
    assert got is not None
    assert got.spec == run.spec and got.training == run.training
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
    assert store.get_run("missing") is None


def test_create_duplicate_id_is_rejected(store: SqlRunStore) -> None:
    store.create_run(make_run())
    with pytest.raises(ValueError, match="already exists"):
        store.create_run(make_run())


def test_list_runs_newest_first_filter_and_pages(store: SqlRunStore) -> None:
    for i in range(5):
        store.create_run(make_run(f"r{i}", minutes=i, status="completed" if i % 2 else "queued"))
    assert [r.id for r in store.list_runs()] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r.id for r in store.list_runs(status="completed")] == ["r3", "r1"]
    assert [r.id for r in store.list_runs(status="queued", limit=2)] == ["r4", "r2"]
    assert [r.id for r in store.list_runs(limit=2, offset=2)] == ["r2", "r1"]
    assert store.list_runs(offset=5) == []
    assert store.list_runs(status="failed") == []


def test_update_run_fields(store: SqlRunStore) -> None:
    store.create_run(make_run())
    finished = datetime(2025, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    store.update_run(
        "r1", status="completed", finished_at=finished, error=None, epoch=3, step=60,
        latest_metrics={"loss": 0.1, "val_loss": float("nan")},
        test_metrics={"accuracy": 0.95, "ratio": float("inf")},
    )
    got = store.get_run("r1")
    assert got is not None
    assert got.status == "completed" and (got.epoch, got.step) == (3, 60)
    assert got.finished_at == finished and got.finished_at.utcoffset() == timedelta(0)
    assert got.latest_metrics["loss"] == 0.1 and math.isnan(got.latest_metrics["val_loss"])
    assert got.test_metrics == {"accuracy": 0.95, "ratio": float("inf")}
    new_training = got.training.model_copy(update={"epochs": 9})
    store.update_run("r1", training=new_training.model_dump(), name="renamed")
    again = store.get_run("r1")
    assert again is not None and again.training == new_training and again.name == "renamed"


def test_update_run_rejects_unknown_and_invalid(store: SqlRunStore) -> None:
    store.create_run(make_run())
    with pytest.raises(ValueError, match="unknown run field"):
        store.update_run("r1", colour="blue")
    with pytest.raises(ValueError, match="id cannot change"):
        store.update_run("r1", id="r2")
    with pytest.raises(ValueError):
        store.update_run("r1", status="exploded")
    with pytest.raises(KeyError):
        store.update_run("missing", status="running")
    assert store.get_run("r1") == make_run()


def test_append_and_get_metrics_columnar(store: SqlRunStore) -> None:
    store.create_run(make_run())
    store.append_metrics("r1", [
        MetricRow(step=s, epoch=s // 20, values={"loss": 1.0 / (s + 1), "lr": 0.05})
        for s in range(0, 40, 10)
    ])
    # A second batch: validation only at step 30, and a new step 40 without lr.
    store.append_metrics("r1", [
        MetricRow(step=30, epoch=1, values={"val_loss": 0.5}),
        MetricRow(step=40, epoch=2, values={"loss": 0.01, "bad": float("nan")}),
    ])
    columns = store.get_metrics("r1")
    assert list(columns) == ["step", "epoch", "bad", "loss", "lr", "val_loss"]
    assert columns["step"] == [0, 10, 20, 30, 40]
    assert columns["epoch"] == [0, 0, 1, 1, 2]
    assert columns["loss"] == [1.0, 1 / 11, 1 / 21, 1 / 31, 0.01]
    assert columns["lr"] == [0.05, 0.05, 0.05, 0.05, None]
    assert columns["val_loss"] == [None, None, None, 0.5, None]
    assert columns["bad"][:4] == [None] * 4 and math.isnan(columns["bad"][4] or 0.0)

    assert store.get_metrics("r1", names=["val_loss", "lr"]) == {
        "step": [0, 10, 20, 30], "epoch": [0, 0, 1, 1],
        "val_loss": [None, None, None, 0.5], "lr": [0.05] * 4,
    }
    assert store.get_metrics("r1", names=["loss"], since_step=20) == {
        "step": [30, 40], "epoch": [1, 2], "loss": [1 / 31, 0.01],
    }
    assert store.get_metrics("r1", names="val_loss")["val_loss"] == [0.5]
    assert store.get_metrics("r1", names=["nothing"]) == {"step": [], "epoch": [], "nothing": []}
    assert store.get_metrics("r1", names=[]) == {"step": [], "epoch": []}
    assert store.get_metrics("missing") == {"step": [], "epoch": []}


def test_append_metrics_overwrites_a_repeated_step(store: SqlRunStore) -> None:
    store.create_run(make_run())
    store.append_metrics("r1", [MetricRow(step=5, epoch=0, values={"loss": 2.0})])
    store.append_metrics("r1", [  # a resumed run reports step 5 again
        MetricRow(step=5, epoch=0, values={"loss": 1.5}),
        MetricRow(step=5, epoch=0, values={"loss": 1.0}),
    ])
    assert store.get_metrics("r1") == {"step": [5], "epoch": [0], "loss": [1.0]}


def test_append_metrics_rejects_bad_input(store: SqlRunStore) -> None:
    store.create_run(make_run())
    with pytest.raises(ValueError, match="reserved"):
        store.append_metrics("r1", [MetricRow(step=1, epoch=0, values={"step": 1.0})])
    with pytest.raises(KeyError):
        store.append_metrics("missing", [MetricRow(step=1, epoch=0, values={"loss": 1.0})])
    store.append_metrics("r1", [])
    assert store.get_metrics("r1") == {"step": [], "epoch": []}


def test_delete_metrics_after(store: SqlRunStore) -> None:
    store.create_run(make_run("r1"))
    store.create_run(make_run("r2", minutes=1))
    for run_id in ("r1", "r2"):
        store.append_metrics(run_id, [
            MetricRow(step=s, epoch=0, values={"loss": float(s)}) for s in range(1, 6)
        ])
    store.delete_metrics_after("r1", 3)  # resumed from the checkpoint at step 3
    assert store.get_metrics("r1") == {"step": [1, 2, 3], "epoch": [0] * 3, "loss": [1.0, 2.0, 3.0]}
    store.delete_metrics_after("r1", -1)  # no checkpoint: start over
    assert store.get_metrics("r1") == {"step": [], "epoch": []}
    assert store.get_metrics("r2")["step"] == [1, 2, 3, 4, 5]
    store.delete_metrics_after("missing", 0)


def test_delete_run_cascades_to_metrics(store: SqlRunStore) -> None:
    store.create_run(make_run("r1"))
    store.create_run(make_run("r2", minutes=1))
    for run_id in ("r1", "r2"):
        store.append_metrics(run_id, [MetricRow(step=1, epoch=0, values={"loss": 1.0})])
    assert store.delete_run("r1") is True
    assert store.delete_run("r1") is False
    assert store.get_run("r1") is None
    assert store.get_metrics("r1") == {"step": [], "epoch": []}
    assert store.get_metrics("r2")["loss"] == [1.0]
    # Recreating the id must not resurrect old metrics.
    store.create_run(make_run("r1"))
    assert store.get_metrics("r1") == {"step": [], "epoch": []}


def test_mark_interrupted(store: SqlRunStore) -> None:
    store.create_run(make_run("a", 0, "running"))
    store.create_run(make_run("b", 1, "completed"))
    store.create_run(make_run("c", 2, "running"))
    store.create_run(make_run("d", 3, "paused"))
    assert store.mark_interrupted() == ["a", "c"]
    statuses = {r.id: r.status for r in store.list_runs()}
    assert statuses == {"a": "interrupted", "b": "completed", "c": "interrupted", "d": "paused"}
    run = store.get_run("a")
    assert run is not None and run.error == INTERRUPTED_ERROR and run.finished_at is None
    assert store.mark_interrupted() == []


def test_concurrent_appends_lose_no_rows(store: SqlRunStore) -> None:
    store.create_run(make_run())
    threads_n, batches, per_batch = 4, 10, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def writer(t: int) -> None:
        try:
            start.wait()
            for b in range(batches):
                rows = [MetricRow(step=(b * per_batch + i) * threads_n + t, epoch=b,
                                  values={"loss": float(t), f"w{t}": float(i)})
                        for i in range(per_batch)]
                store.append_metrics("r1", rows)
                store.update_run("r1", step=rows[-1].step)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    columns = store.get_metrics("r1")
    total = threads_n * batches * per_batch
    assert columns["step"] == list(range(total))
    assert [int(v or 0) for v in columns["loss"]] == [s % threads_n for s in range(total)]
    for t in range(threads_n):
        assert sum(v is not None for v in columns[f"w{t}"]) == batches * per_batch
