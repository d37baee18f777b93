"""The migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.store.base import MetricRow, RunQuery, RunRecord
from app.store.engine import alembic_config, make_engine, upgrade
from app.store.sql import SqlRunStore
from app.store.tables import Base
from tests.store.factories import T0, make_run
from tests.store.test_store_overview import summaries


def test_migrations_match_the_models(store: SqlRunStore) -> None:
    with store.engine.connect() as connection:
        inspector = inspect(connection)
        tables = set(inspector.get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        for name, table in Base.metadata.tables.items():
            columns = {column["name"]: column for column in inspector.get_columns(name)}
            assert set(columns) == set(table.columns.keys()), name
            for column in table.columns:
                assert columns[column.name]["nullable"] == column.nullable, column
            primary_key = inspector.get_pk_constraint(name)["constrained_columns"]
            assert primary_key == [column.name for column in table.primary_key.columns]
        indexes = {index["name"] for index in inspector.get_indexes("runs")}
        assert {"ix_runs_status", "ix_runs_created_at"} <= indexes
        (foreign_key,) = inspector.get_foreign_keys("metrics")
        assert foreign_key["referred_table"] == "runs"
        assert (foreign_key["options"].get("ondelete") or "").upper() == "CASCADE"

        # Alembic's own autogenerate diff finds nothing to add, drop or alter.
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_head(store: SqlRunStore) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head == "0011"
    with store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_reopening_an_existing_database_keeps_its_rows(store_url: str) -> None:
    first = SqlRunStore(store_url)
    try:
        first.create_run(make_run())
    finally:
        first.close()
    second = SqlRunStore(store_url)  # upgrade at head is a no-op
    try:
        assert second.get_run("r1") == make_run()
    finally:
        second.close()


def test_a_database_from_the_first_revision_upgrades_with_its_runs(store_url: str) -> None:
    """A 0001 database (before runs had an origin) opens, its runs intact, origin None."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0001")
        _insert(engine, {k: v for k, v in _row(make_run()).items()
                         if k not in ("origin", "server", "failure")})
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        assert store.get_run("r1") == make_run()
        assert store.get_run("r1").origin is None  # type: ignore[union-attr]
    finally:
        store.close()


def _insert(engine: Any, row: dict[str, Any]) -> None:
    """A runs row written as an older revision's table holds it (the columns it has)."""
    columns = {column["name"] for column in inspect(engine).get_columns("runs")}
    row = {k: v for k, v in row.items() if k in columns}
    with engine.begin() as connection:
        connection.execute(text(
            f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
        ), row)


def _row(run: RunRecord) -> dict[str, Any]:
    """The run as the runs table's columns (JSON fields as text)."""
    row = run.model_dump(mode="json")
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}


def test_a_database_from_before_servers_upgrades_with_its_runs(store_url: str) -> None:
    """A 0002 database (before runs had a server) opens, its runs intact, server None:
    any server sharing it may recover them."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0002")
        _insert(engine, {k: v for k, v in _row(make_run(status="running")).items()
                         if k not in ("server", "failure")})
    finally:
        engine.dispose()
    store = SqlRunStore(store_url, server_id="a")
    try:
        assert store.get_run("r1").server is None  # type: ignore[union-attr]
        assert store.mark_interrupted() == ["r1"]
    finally:
        store.close()


def test_a_database_from_before_failure_causes_upgrades_with_its_runs(store_url: str) -> None:
    """A 0004 database (before failed runs had a cause) opens, its failed runs intact with
    no cause (so none of them resumes: why they failed is not known)."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0004")
        _insert(engine, _row(make_run(status="failed")))
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        run = store.get_run("r1")
        assert run is not None and run.status == "failed" and run.failure is None
        store.update_run("r1", failure="disk")
        assert store.get_run("r1").failure == "disk"  # type: ignore[union-attr]
    finally:
        store.close()


@contextmanager
def _opened_from(store_url: str, revision: str, row: dict[str, Any]) -> Iterator[SqlRunStore]:
    """A store opened (and so upgraded to head) on a database at `revision` that holds
    `row` as that revision's table kept it."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, revision)
        _insert(engine, row)
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        yield store
    finally:
        store.close()


def test_runs_from_before_notes_open_with_none(store_url: str) -> None:
    """A 0005 database (before runs kept their notes) opens with every run's notes empty,
    and a note is kept from then on."""
    with _opened_from(store_url, "0005", _row(make_run())) as store:
        run = store.get_run("r1")
        assert run is not None and run.notes == []
        store.update_run("r1", notes=["the learning rate 0.1 is likely too high"])
        assert store.get_run("r1").notes == [  # type: ignore[union-attr]
            "the learning rate 0.1 is likely too high"]


def test_runs_from_before_labels_open_untagged_and_are_labelled_from_then_on(
        store_url: str) -> None:
    """A 0006 database (before runs had tags, a description and best epochs) opens with
    every run untagged, undescribed and no best epoch known; they are kept from then on."""
    with _opened_from(store_url, "0006", _row(make_run())) as store:
        run = store.get_run("r1")
        assert run is not None and (run.tags, run.description, run.best_epochs) == ([], "", {})
        store.update_run("r1", tags=["baseline"], description="first try",
                         best_epochs={"val_loss": 3})
        run = store.get_run("r1")
        assert run is not None
        assert (run.tags, run.description, run.best_epochs) == (
            ["baseline"], "first try", {"val_loss": 3})


def test_runs_from_before_search_columns_are_found_sorted_and_filtered(store_url: str) -> None:
    """A 0007 database (before the runs list had columns of its own) opens with each run's
    network, dataset, tags, score, test score and duration filled from what it held."""
    run = make_run(status="completed").model_copy(update={
        "tags": ["baseline"], "best_metrics": {"val_accuracy": 0.9, "val_loss": 0.3},
        "test_metrics": {"test_accuracy": 0.88}, "started_at": T0,
        "finished_at": T0 + timedelta(seconds=90)})
    with _opened_from(store_url, "0007", _row(run)) as store:
        for words in ("two dense", "moons", "baseline"):
            found, total = store.find_runs(RunQuery(text=words))
            assert total == 1 and [r.id for r in found] == ["r1"], words
        (row,) = store.find_runs(RunQuery(dataset="moons", sort="score"))[0]
        assert row.best_metrics["val_accuracy"] == 0.9
        with store.engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT network, dataset, tag_text, score, test_score, duration_s, task "
                "FROM runs")).one()
        assert tuple(kept) == ("Two dense layers", "moons", "baseline", 0.9, 0.88, 90.0, None)


def test_runs_from_before_metric_summaries_are_summarised_on_upgrade(store_url: str) -> None:
    """A 0008 database's metric rows are summarised as the upgrade runs, as if written
    through the store: its long runs come at a chart's resolution at once."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0008")
        _insert(engine, _row(make_run("old")))
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO metrics (run_id, step, name, epoch, value) "
                "VALUES ('old', :step, 'train_loss', 0, :value)"),
                [{"step": s, "value": 1 / s} for s in range(1, 3001)])
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        store.create_run(make_run("new"))
        store.append_metrics("new", [MetricRow(step=s, epoch=0, values={"train_loss": 1 / s})
                                     for s in range(1, 3001)])
        assert summaries(store, "old") == summaries(store, "new")
        columns, represented = store.get_metric_overview("old", points=100)
        assert represented == 3000 and len(columns["step"]) <= 102
    finally:
        store.close()


def test_sweeps_from_before_searches_number_their_trials_as_configurations(
        store_url: str) -> None:
    """A 0009 database's sweep (each trial one configuration) opens with its trials
    numbered 0, 1, ... as configurations, and not stopped."""
    engine = make_engine(store_url)
    sweep = {"id": "s1", "name": "old", "created_at": "2026-12-01 10:00:00+00:00",
             "spec": json.dumps({"input": {"shape": [2]}, "layers": [
                 {"id": "out", "type": "dense", "units": 2}]}),
             "training": json.dumps({"dataset": {"name": "xor"}}),
             "sweep": json.dumps({"parameters": {"seed": [1, 2]}}),
             "trials": json.dumps([{"run_id": "r1", "params": {"seed": 1}},
                                   {"run_id": "r2", "params": {"seed": 2}}])}
    try:
        upgrade(engine, "0009")
        with engine.begin() as connection:
            connection.execute(text(
                f"INSERT INTO sweeps ({', '.join(sweep)}) "
                f"VALUES ({', '.join(':' + k for k in sweep)})"), sweep)
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        found = store.get_sweep("s1")
        assert found is not None and not found.stopped
        assert [(t.run_id, t.config, t.repeat) for t in found.trials] == [
            ("r1", 0, 0), ("r2", 1, 0)]
    finally:
        store.close()


def test_runs_and_sweeps_from_before_accounts_belong_to_no_one(store_url: str) -> None:
    """A 0010 database's runs open with no owner (a teacher's to see, app.classroom), and
    the classroom's tables are there to make accounts in."""
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0010")
        _insert(engine, _row(make_run()))
    finally:
        engine.dispose()
    store = SqlRunStore(store_url)
    try:
        run = store.get_run("r1")
        assert run is not None and run.owner is None
        accounts = store.accounts()
        assert accounts.user_count() == 0
        found, total = store.find_runs(RunQuery(owners=[]))
        assert (found, total) == ([], 0)  # a student with no runs lists none of these
    finally:
        store.close()
