"""Deleting runs gives their space back: a new SQLite database frees its pages and
truncates its WAL as runs go, `vacuum` compacts any database (turning incremental
vacuuming on for one made before it), and PostgreSQL runs its own VACUUM."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.store.base import MetricRow
from app.store.sql import SqlRunStore
from tests.store.factories import make_run

STEPS = 4000  # a few MiB of metric rows per run


def filled(store: SqlRunStore, runs: int) -> list[str]:
    ids = [f"r{i}" for i in range(runs)]
    for run_id in ids:
        store.create_run(make_run(run_id))
        store.append_metrics(run_id, [MetricRow(step=s, epoch=0, values={
            "train_loss": 1 / s, "train_accuracy": s / STEPS, "lr": 0.001})
            for s in range(1, STEPS)])
    return ids


def pragma(store: SqlRunStore, name: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.exec_driver_sql(f"PRAGMA {name}").scalar() or 0)


def test_deleting_runs_frees_pages_and_truncates_the_wal(tmp_path: Path) -> None:
    store = SqlRunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        assert pragma(store, "auto_vacuum") == 2  # incremental, from its first table on
        ids = filled(store, 4)
        full = pragma(store, "page_count")
        for run_id in ids[:2]:
            store.delete_run(run_id)
        assert pragma(store, "freelist_count") > 0
        store.reclaim()
        assert pragma(store, "freelist_count") == 0
        assert pragma(store, "page_count") < 0.75 * full
        assert (tmp_path / "runs.db-wal").stat().st_size == 0
        assert [r.id for r in store.list_runs()] == ["r3", "r2"]
    finally:
        store.close()


def test_vacuum_compacts_a_database_made_before_incremental_vacuuming(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:  # as older LayerLab made them
        connection.execute("PRAGMA auto_vacuum=NONE")
        connection.execute("CREATE TABLE placeholder (x)")
        connection.execute("DROP TABLE placeholder")
    store = SqlRunStore(f"sqlite:///{path}")
    try:
        assert pragma(store, "auto_vacuum") == 0
        ids = filled(store, 3)
        for run_id in ids[:2]:
            store.delete_run(run_id)
        store.reclaim()  # no incremental vacuuming yet: the pages stay
        assert pragma(store, "freelist_count") > 0
        sizes = store.vacuum()
        assert sizes["database_after"] < 0.6 * sizes["database"]
        assert sizes["wal_after"] == 0
        assert pragma(store, "auto_vacuum") == 2 and pragma(store, "freelist_count") == 0
        assert store.get_metrics("r2")["step"][-1] == STEPS - 1  # what stays is intact
    finally:
        store.close()


def test_vacuum_on_every_backend_keeps_the_runs(store: SqlRunStore) -> None:
    ids = filled(store, 2)
    store.delete_run(ids[0])
    store.reclaim()
    sizes = store.vacuum()
    assert sizes["database"] > 0 and sizes["database_after"] > 0
    assert [r.id for r in store.list_runs()] == ["r1"]
