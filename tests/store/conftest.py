"""Store fixtures: one contract suite runs against every backend.

SQLite is a real file in tmp_path. PostgreSQL is a real server started once per
session with initdb/pg_ctl, listening on a unix socket in a private temp folder (no
TCP); each test gets a fresh database in it. initdb refuses to run as root, so as
root the server runs as the `nobody` user through runuser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.sql import SqlRunStore
from tests.postgres import PostgresServer, postgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'layerlab.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = server.new_database()
    yield server.url(database)
    server.drop_database(database)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlRunStore]:
    opened = SqlRunStore(store_url)
    yield opened
    opened.close()
