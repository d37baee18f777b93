"""SQLite specifics: connection pragmas, the parent folder, in-memory databases."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from app.store.sql import SqlRunStore
from tests.store.factories import make_run


def _pragma(store: SqlRunStore, name: str) -> object:
    with store.engine.connect() as connection:
        return connection.execute(text(f"PRAGMA {name}")).scalar()


def test_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    store = SqlRunStore(f"sqlite:///{tmp_path / 'a' / 'b' / 'layerlab.db'}")
    try:
        assert (tmp_path / "a" / "b" / "layerlab.db").is_file()  # parent folders created
        with store.engine.connect() as one, store.engine.connect() as two:
            for connection in (one, two):  # two pooled connections, both configured
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        store.close()


def test_in_memory_database_works_across_threads() -> None:
    store = SqlRunStore("sqlite://")
    try:
        assert _pragma(store, "foreign_keys") == 1
        worker = threading.Thread(target=store.create_run, args=(make_run(),))
        worker.start()
        worker.join()
        assert store.get_run("r1") == make_run()
    finally:
        store.close()
