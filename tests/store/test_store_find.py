"""Finding runs among many, on every backend: a total beside each page, filters, search
words over name, description, network, dataset and tags, and every sort the runs table
offers, with runs that lack the value last either way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.spec.training import DatasetSpec
from app.store.base import RunQuery, RunRecord
from app.store.sql import SqlRunStore
from tests.store.factories import T0, make_run


def run(run_id: str, minutes: int, **fields: object) -> RunRecord:
    return make_run(run_id, minutes).model_copy(update=fields)


def ids(store: SqlRunStore, **query: object) -> list[str]:
    found, total = store.find_runs(RunQuery.model_validate(query))
    assert total >= len(found)
    return [r.id for r in found]


@pytest.fixture
def runs(store: SqlRunStore) -> SqlRunStore:
    """Four runs: two on moons and one each on circle and mnist-10k, with and without a
    score, test metric, tags and duration."""
    mnist = make_run().training.model_copy(update={"dataset": DatasetSpec(name="mnist-10k")})
    circle = make_run().training.model_copy(update={"dataset": DatasetSpec(name="circle")})
    store.create_run(run("a", 0, name="Baseline 50% dropout", task="classification",
                         status="completed"))
    store.create_run(run("b", 1, name="wider", training=mnist, task="classification"))
    store.create_run(run("c", 2, name="deeper", training=circle, task="regression"))
    store.create_run(run("d", 3, name="Tiny", description="the smallest that learns"))
    store.update_run("a", best_metrics={"val_accuracy": 0.8, "val_loss": 0.5},
                     test_metrics={"test_accuracy": 0.79}, tags=["keep", "dropout"],
                     started_at=T0, finished_at=T0 + timedelta(seconds=30))
    store.update_run("b", best_metrics={"val_accuracy": 0.95}, started_at=T0)
    store.update_run("b", finished_at=T0 + timedelta(seconds=300))  # started_at as kept
    store.update_run("c", best_metrics={"val_accuracy": float("nan"), "loss": 0.2})
    return store


def test_newest_first_with_the_total_beside_each_page(runs: SqlRunStore) -> None:
    assert ids(runs) == ["d", "c", "b", "a"]
    found, total = runs.find_runs(RunQuery(limit=2, offset=2))
    assert [r.id for r in found] == ["b", "a"] and total == 4
    assert runs.find_runs(RunQuery(limit=2, offset=10)) == ([], 4)


def test_filters_all_hold(runs: SqlRunStore) -> None:
    assert ids(runs, dataset="moons") == ["d", "a"]
    assert ids(runs, task="classification") == ["b", "a"]
    assert ids(runs, status=["completed"]) == ["a"]
    assert ids(runs, status=["completed", "queued"]) == ["d", "c", "b", "a"]
    assert ids(runs, dataset="moons", task="classification") == ["a"]
    assert ids(runs, created_after=T0 + timedelta(minutes=1),
               created_before=T0 + timedelta(minutes=3)) == ["c", "b"]


def test_each_search_word_is_found_in_some_column_in_any_case(runs: SqlRunStore) -> None:
    assert ids(runs, text="MNIST") == ["b"]  # the dataset
    assert ids(runs, text="keep") == ["a"]  # a tag
    assert ids(runs, text="smallest") == ["d"]  # the description
    assert ids(runs, text="two dense") == ["d", "c", "b", "a"]  # the network's name
    assert ids(runs, text="wider moons") == []  # each word must be found
    assert ids(runs, text="50%") == ["a"]  # a wildcard character is taken literally
    assert ids(runs, text="5_%") == []


def test_tags_are_searched_as_they_are_edited(runs: SqlRunStore) -> None:
    runs.update_run("c", tags=["Ablation"])
    assert ids(runs, text="ablation") == ["c"]
    runs.update_run("c", tags=[])
    assert ids(runs, text="ablation") == []


@pytest.mark.parametrize(("sort", "ascending", "descending"), [
    # c scores its loss (its val_accuracy is NaN); d has no score
    ("score", ["c", "a", "b", "d"], ["b", "a", "c", "d"]),
    ("test", ["a", "d", "c", "b"], ["a", "d", "c", "b"]),  # a alone has one
    ("duration", ["a", "b", "d", "c"], ["b", "a", "d", "c"]),
    ("name", ["a", "c", "d", "b"], ["b", "d", "c", "a"]),  # any case
    ("dataset", ["c", "b", "d", "a"], ["d", "a", "b", "c"]),  # ties newest first
    ("tags", ["a", "d", "c", "b"], ["a", "d", "c", "b"]),
])
def test_sorts_put_runs_without_a_value_last_either_way(
        runs: SqlRunStore, sort: str, ascending: list[str], descending: list[str]) -> None:
    assert ids(runs, sort=sort, descending=False) == ascending
    assert ids(runs, sort=sort, descending=True) == descending
