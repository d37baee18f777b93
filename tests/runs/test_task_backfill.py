"""Runs stored before their task was kept get it when a server starts, as their dataset
gives it, so that filtering the runs by task finds them too."""

from __future__ import annotations

from pathlib import Path

from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService
from app.spec.training import DatasetSpec
from app.store.base import RunQuery
from app.store.sql import SqlRunStore
from tests.store.factories import make_run


def test_a_server_start_gives_old_runs_their_datasets_task(tmp_path: Path) -> None:
    store = SqlRunStore(f"sqlite:///{tmp_path / 'runs.db'}")

    def stored(run_id: str, dataset: DatasetSpec, **training: object) -> None:
        run = make_run(run_id, status="completed")
        store.create_run(run.model_copy(update={"training": run.training.model_copy(
            update={"dataset": dataset, **training})}))

    stored("old", DatasetSpec(name="moons"))  # no task named: moons' first, classification
    stored("named", DatasetSpec(name="circle"), task="classification")
    stored("gone", DatasetSpec(name="csv", options={"upload_id": "f" * 32}))  # deleted since
    assert sorted(store.untasked_run_ids()) == ["gone", "named", "old"]
    service = RunService(store, ProcessExecutor(max_concurrent=1), tmp_path / "runs")
    try:
        service.recover()
        assert store.get_run("old").task == "classification"  # type: ignore[union-attr]
        assert store.get_run("gone").task is None  # type: ignore[union-attr]
        assert store.get_run("named").task == "classification"  # type: ignore[union-attr]
        found, _ = store.find_runs(RunQuery(task="classification"))
        assert sorted(r.id for r in found) == ["named", "old"]
        assert store.untasked_run_ids() == ["gone"]
    finally:
        service.close()
        store.close()
