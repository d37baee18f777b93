"""Servers starting together on one fresh PostgreSQL database: each runs the migrations
a store runs when it opens, one of them migrates, and the schema ends at head once.

The processes import only the engine module (SQLAlchemy and Alembic), not the whole
store, so they start in a moment."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.store.engine import alembic_config, make_engine, upgrade
from tests.postgres import PostgresServer

SERVERS = 4


def _open_store(url: str, start: Barrier) -> None:
    """One server's start-up: SqlRunStore's upgrade, the moment all are ready."""
    engine = make_engine(url)
    try:
        start.wait(timeout=60)
        upgrade(engine)
    finally:
        engine.dispose()


def test_servers_starting_together_migrate_once(postgres_server: PostgresServer) -> None:
    database = postgres_server.new_database()
    url = postgres_server.url(database)
    try:
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(SERVERS)
        servers = [context.Process(target=_open_store, args=(url, start))
                   for _ in range(SERVERS)]
        for server in servers:
            server.start()
        for server in servers:
            server.join(timeout=120)
        assert [server.exitcode for server in servers] == [0] * SERVERS

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                assert MigrationContext.configure(connection).get_current_revision() == head
                versions = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert versions.scalars().all() == [head]
                assert {"runs", "metrics"} <= set(inspect(connection).get_table_names())
        finally:
            engine.dispose()
    finally:
        postgres_server.drop_database(database)
