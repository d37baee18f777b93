"""The sweep part of the RunStore contract, run against every backend."""

from __future__ import annotations

import math

import pytest

from app.store.sql import SqlRunStore
from tests.store.factories import make_run, make_sweep


def test_a_sweep_round_trips_with_its_trials(store: SqlRunStore) -> None:
    sweep = make_sweep()
    store.create_sweep(sweep)
    got = store.get_sweep("s1")
    assert got == sweep
    assert got is not None and got.trials[1].params == {"optimizer.lr": 0.01,
                                                        "layers.hidden.units": 8}
    assert got.created_at.utcoffset() is not None
    assert store.get_sweep("missing") is None
    with pytest.raises(ValueError, match="already exists"):
        store.create_sweep(sweep)


def test_a_sweep_is_stamped_with_its_server(store_url: str) -> None:
    store = SqlRunStore(store_url, server_id="lab-1")
    try:
        store.create_sweep(make_sweep())
        assert store.get_sweep("s1").server == "lab-1"  # type: ignore[union-attr]
    finally:
        store.close()


def test_odd_values_survive_the_json(store: SqlRunStore) -> None:
    sweep = make_sweep(run_ids=("r1",))
    sweep.trials[0].params.update({"dataset.options.noise": math.inf, "input.shape": [3, 4],
                                   "optimizer.name": "sgd", "early_stopping.enabled": True})
    store.create_sweep(sweep)
    params = store.get_sweep("s1").trials[0].params  # type: ignore[union-attr]
    assert params["input.shape"] == [3, 4] and params["early_stopping.enabled"] is True
    assert params["optimizer.name"] == "sgd"
    assert params["dataset.options.noise"] == "Infinity"  # strict JSON has no infinity


def test_sweeps_list_newest_first_in_pages(store: SqlRunStore) -> None:
    for i in range(4):
        store.create_sweep(make_sweep(f"s{i}", minutes=i))
    assert [s.id for s in store.list_sweeps()] == ["s3", "s2", "s1", "s0"]
    assert [s.id for s in store.list_sweeps(limit=2, offset=1)] == ["s2", "s1"]
    assert store.list_sweeps(offset=4) == []
    with pytest.raises(ValueError, match=">= 0"):
        store.list_sweeps(limit=-1)


def test_deleting_a_sweep_leaves_its_runs(store: SqlRunStore) -> None:
    store.create_run(make_run("r1"))
    store.create_sweep(make_sweep())
    assert store.delete_sweep("s1")
    assert not store.delete_sweep("s1")
    assert store.get_sweep("s1") is None
    assert store.get_run("r1") is not None


def test_runs_by_id_come_in_the_order_asked_without_the_missing(store: SqlRunStore) -> None:
    for i in range(3):
        store.create_run(make_run(f"r{i}", minutes=i))
    assert [r.id for r in store.get_runs(["r2", "gone", "r0", "r1"])] == ["r2", "r0", "r1"]
    assert store.get_runs([]) == []
