"""A run's files go with its rows or not at all, its folder is found by the id the store
keeps (not only server-made ones), and a delete cut short is finished at the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.runs.process_executor import ProcessExecutor
from app.runs.run_folders import ASIDE, UnsafeRunId, run_folder
from app.runs.service import RunNotFound, RunService
from app.store.base import StoreUnavailable
from app.store.sql import SqlRunStore
from tests.store.factories import make_run


class DiskFullStore(SqlRunStore):
    """A real SQLite store whose deletes fail, as a full or unplugged disk fails them."""

    def delete_run(self, run_id: str) -> bool:
        raise StoreUnavailable("the database is unavailable: disk I/O error")


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[tuple[RunService, SqlRunStore]]:
    store = SqlRunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    service = RunService(store, ProcessExecutor(max_concurrent=1), tmp_path / "runs")
    yield service, store
    service.close()
    store.close()


def stored(service: RunService, store: SqlRunStore, run_id: str) -> Path:
    """A completed run with a file in its folder, as another tool may have written it."""
    store.create_run(make_run(run_id, status="completed"))
    folder = service.run_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"weights")
    return folder


def test_a_run_with_an_id_of_another_tools_is_deleted_with_its_files(
        folders: tuple[RunService, SqlRunStore]) -> None:
    service, store = folders
    folder = stored(service, store, "imported-run_1")
    assert folder == service.runs_dir / "imported-run_1"
    service.delete("imported-run_1")
    assert not folder.exists() and store.get_run("imported-run_1") is None
    assert list(service.runs_dir.iterdir()) == []


def test_a_delete_the_store_refuses_leaves_the_files_where_they_were(tmp_path: Path) -> None:
    store = DiskFullStore(f"sqlite:///{tmp_path / 'runs.db'}")
    service = RunService(store, ProcessExecutor(max_concurrent=1), tmp_path / "runs")
    try:
        folder = stored(service, store, "r1")
        with pytest.raises(StoreUnavailable):
            service.delete("r1")
        assert (folder / "checkpoint.pt").read_bytes() == b"weights"
        assert store.get_run("r1") is not None
        assert [p.name for p in service.runs_dir.iterdir()] == ["r1"]
    finally:
        service.close()
        store.close()


def test_files_set_aside_by_a_delete_cut_short_go_at_the_next_start(
        folders: tuple[RunService, SqlRunStore]) -> None:
    service, store = folders
    kept = stored(service, store, "r2")
    aside = service.runs_dir / f"{ASIDE}r1"  # the rows went, then the server stopped
    aside.mkdir()
    (aside / "checkpoint.pt").write_bytes(b"weights")
    service.recover()
    assert not aside.exists() and kept.exists()


@pytest.mark.parametrize("run_id", ["../etc", "a/b", "", "x" * 65, "..", "r 1"])
def test_ids_that_are_not_names_reach_no_folder(
        folders: tuple[RunService, SqlRunStore], run_id: str) -> None:
    service, _ = folders
    with pytest.raises(UnsafeRunId):
        run_folder(service.runs_dir, run_id)
    with pytest.raises(RunNotFound):
        service.run_dir(run_id)


def test_a_run_whose_id_names_no_folder_is_deleted_with_its_rows(
        folders: tuple[RunService, SqlRunStore]) -> None:
    service, store = folders
    store.create_run(make_run("imported.run", status="completed"))
    service.delete("imported.run")
    assert store.get_run("imported.run") is None


def test_a_folder_left_aside_by_an_unfinished_delete_does_not_block_the_next(
        folders: tuple[RunService, SqlRunStore]) -> None:
    service, store = folders
    folder = stored(service, store, "r3")
    (service.runs_dir / f"{ASIDE}r3").mkdir()  # an earlier delete's, its files kept
    service.delete("r3")
    assert not folder.exists() and store.get_run("r3") is None
    assert list(service.runs_dir.iterdir()) == []
