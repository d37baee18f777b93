"""A PostgreSQL store's connection pool is sized by the server's settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.pool import QueuePool

from app.settings import Settings
from app.store import get_store
from app.store.base import StoreUnavailable
from app.store.engine import PoolSettings
from app.store.sql import SqlRunStore
from tests.postgres import PostgresServer


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    database = postgres_server.new_database()
    yield postgres_server.url(database)
    postgres_server.drop_database(database)


def test_the_engine_gets_the_pool_settings(postgres_url: str) -> None:
    pool = PoolSettings(pool_size=3, max_overflow=4, pool_recycle=60.0, pool_timeout=2.5)
    store = SqlRunStore(postgres_url, pool=pool)
    try:
        engine_pool = store.engine.pool
        assert isinstance(engine_pool, QueuePool)
        assert engine_pool.size() == 3
        assert engine_pool._max_overflow == 4
        assert engine_pool._recycle == 60.0
        assert engine_pool.timeout() == 2.5
        assert engine_pool._pre_ping
    finally:
        store.close()


def test_the_settings_reach_the_store(postgres_url: str, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    monkeypatch.setenv("LAYERLAB_DATABASE_POOL_SIZE", "5")
    monkeypatch.setenv("LAYERLAB_DATABASE_MAX_OVERFLOW", "7")
    monkeypatch.setenv("LAYERLAB_DATABASE_POOL_RECYCLE", "120")
    monkeypatch.setenv("LAYERLAB_DATABASE_POOL_TIMEOUT", "4")
    settings = Settings(database_url=postgres_url)
    store = get_store(settings.store_url, **settings.store_options)
    try:
        assert isinstance(store, SqlRunStore)
        engine_pool = store.engine.pool
        assert isinstance(engine_pool, QueuePool)
        assert (engine_pool.size(), engine_pool._max_overflow) == (5, 7)
        assert (engine_pool._recycle, engine_pool.timeout()) == (120.0, 4.0)
    finally:
        store.close()


def test_the_defaults_leave_room_for_the_server_threads() -> None:
    pool = PoolSettings()
    assert pool.pool_size >= 2  # the recorder thread and at least one request at once
    assert pool.pool_size + pool.max_overflow >= 16


def test_a_call_waiting_past_the_pool_timeout_is_unavailable(postgres_url: str) -> None:
    pool = PoolSettings(pool_size=1, max_overflow=0, pool_timeout=0.2)
    store = SqlRunStore(postgres_url, pool=pool)
    try:
        with store.engine.connect(), pytest.raises(StoreUnavailable, match="unavailable"):
            store.get_run("r1")  # the only connection is taken
        assert store.get_run("r1") is None  # and free again
    finally:
        store.close()
