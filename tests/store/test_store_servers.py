"""Several servers on one database: each store stamps the runs it creates or (re)starts
with its server id, and recovers only its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.store.sql import SqlRunStore
from tests.store.factories import make_run


@pytest.fixture
def servers(store_url: str) -> Iterator[tuple[SqlRunStore, SqlRunStore]]:
    a, b = SqlRunStore(store_url, server_id="a"), SqlRunStore(store_url, server_id="b")
    yield a, b
    a.close()
    b.close()


def test_a_run_belongs_to_the_server_that_created_it(
        servers: tuple[SqlRunStore, SqlRunStore]) -> None:
    a, b = servers
    a.create_run(make_run("r1"))
    assert b.get_run("r1").server == "a"  # type: ignore[union-attr]
    b.update_run("r1", status="stopped")  # ending a run keeps its owner
    assert a.get_run("r1").server == "a"  # type: ignore[union-attr]
    b.update_run("r1", status="queued")  # queued again (resumed) on b: b's now
    assert a.get_run("r1").server == "b"  # type: ignore[union-attr]


def test_each_server_interrupts_only_its_own_runs(
        servers: tuple[SqlRunStore, SqlRunStore]) -> None:
    a, b = servers
    a.create_run(make_run("ra", status="running"))
    b.create_run(make_run("rb", minutes=1, status="running"))
    assert b.mark_interrupted() == ["rb"]
    assert a.get_run("ra").status == "running"  # type: ignore[union-attr]
    assert a.mark_interrupted() == ["ra"]


def test_a_store_without_a_server_id_owns_every_run(store_url: str,
                                                    store: SqlRunStore) -> None:
    with_id = SqlRunStore(store_url, server_id="a")
    try:
        with_id.create_run(make_run("ra", status="running"))
    finally:
        with_id.close()
    store.create_run(make_run("r0", minutes=1, status="running"))
    assert store.get_run("r0").server is None  # type: ignore[union-attr]
    assert store.mark_interrupted() == ["ra", "r0"]
