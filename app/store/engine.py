"""Engines for the SQL backends, and the schema migrations run when a store opens."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock key held while migrating: any fixed 64-bit number that no
# other application on the database uses ("LayerLab" in ASCII, read as hex digits).
MIGRATION_LOCK_KEY = 0x4C617965724C6162

SQLITE_PRAGMAS = (
    # a new database's freed pages go back to the disk as runs are deleted (an existing one
    # keeps its mode until a VACUUM: `layerlab db vacuum`)
    "PRAGMA auto_vacuum=INCREMENTAL",
    "PRAGMA journal_mode=WAL",  # readers don't block the writer
    "PRAGMA journal_size_limit=67108864",  # the WAL shrinks to 64 MiB at each checkpoint
    "PRAGMA synchronous=NORMAL",  # safe with WAL, and far fewer fsyncs per commit
    "PRAGMA busy_timeout=5000",  # wait for another writer instead of failing at once
    "PRAGMA foreign_keys=ON",  # off by default in SQLite; deleting a run cascades
)


@dataclass(frozen=True)
class PoolSettings:
    """A PostgreSQL server's connection pool. Each request thread and the recorder thread
    hold a connection only for one short call, so a few stay open (pool_size) and bursts
    open more (max_overflow); past both a caller waits pool_timeout seconds, then fails
    as StoreUnavailable. Connections older than pool_recycle seconds are replaced, before
    a firewall or the server drops idle ones."""

    pool_size: int = 8
    max_overflow: int = 16
    pool_recycle: float = 1800.0
    pool_timeout: float = 30.0


def make_engine(url: str | URL, pool: PoolSettings | None = None) -> Engine:
    """An Engine for a sqlite:// or postgresql[+psycopg]:// URL; `pool` sizes
    PostgreSQL's connection pool (SQLite keeps SQLAlchemy's own)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, **asdict(pool or PoolSettings()))
    raise ValueError(f"no SQL engine for {parsed.drivername!r} URLs (sqlite or postgresql)")


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in str(url)
    options: dict[str, Any] = {}
    if in_memory:
        # One shared connection, or every checkout would see its own empty database.
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def alembic_config() -> Config:
    """Alembic's config built in code: no alembic.ini, migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema up to `revision` in one transaction. On PostgreSQL,
    servers starting together take turns: the first migrates, the others then find the
    schema at `revision` and do nothing."""
    config = alembic_config()
    with engine.begin() as connection:
        _lock_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _lock_migrations(connection: Connection) -> None:
    """Wait for an advisory lock held by this transaction (released at its commit or
    rollback), on the connection Alembic migrates through. Only PostgreSQL takes it:
    a SQLite file is one server's own, in its LAYERLAB_HOME."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": MIGRATION_LOCK_KEY})
