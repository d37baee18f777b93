"""`layerlab db vacuum` on the database a server's settings name: the space of deleted
runs goes back to the disk, and the runs that stay are intact."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from app.store.sql import SqlRunStore
from tests.store.test_store_space import filled
from tests.test_cli_train import _layerlab


def test_vacuum_gives_back_the_space_of_deleted_runs(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    store = SqlRunStore(settings.store_url)
    try:
        for run_id in filled(store, 3)[:2]:
            store.delete_run(run_id)  # no reclaim: as a server killed mid-delete leaves it
    finally:
        store.close()
    database = tmp_path / "layerlab.db"
    before = database.stat().st_size
    done = _layerlab("db", "vacuum", env={"LAYERLAB_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "database:" in done.stdout and "MiB" in done.stdout
    assert database.stat().st_size < 0.6 * before
    store = SqlRunStore(settings.store_url)
    try:
        assert [r.id for r in store.list_runs()] == ["r2"]
    finally:
        store.close()
