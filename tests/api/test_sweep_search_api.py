"""Sweeps that search, over the REST API with real trials: a TPE search asks for each
next configuration as trials end; early stopping stops a trial that lags with its
reason and keeps its curve; repeats train each configuration with several seeds and
rank it on the mean; importances say which parameter mattered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.client import LayerLab
from app.settings import Settings
from tests.api.test_runs_api import API
from tests.api.test_sweeps_api import _finished, _sweep

pytestmark = pytest.mark.slow
CIRCLE = {"dataset": {"name": "circle", "options": {"n_samples": 400}}, "epochs": 3,
          "batch_size": 32, "device": "cpu", "validation_split": 0.2,
          "optimizer": {"name": "adam", "lr": 0.05}}
LR = {"low": 1e-4, "high": 0.3, "log": True}


def test_a_tpe_search_asks_for_each_next_trial_as_trials_end(client: TestClient) -> None:
    created = _sweep(client, {"method": "tpe", "trials": 4, "seed": 1,
                              "parameters": {"optimizer.lr": LR}}, training=CIRCLE,
                     name="tpe lr")
    assert created["method"] == "tpe"
    assert 1 <= len(created["trials"]) <= 2  # as many as train at once, not all four
    sweep = _finished(client, created["id"])
    assert [t["config"] for t in sweep["trials"]] == [0, 1, 2, 3]
    assert all(1e-4 <= t["params"]["optimizer.lr"] <= 0.3 for t in sweep["trials"])
    assert sweep["counts"] == {"completed": 4}
    best = min(sweep["configs"], key=lambda c: c["mean"])
    assert (sweep["best_config"], sweep["best_mean"]) == (best["config"], best["mean"])
    names = {client.get(f"{API}/runs/{t['run_id']}").json()["name"] for t in sweep["trials"]}
    assert names == {f"tpe lr #{n}" for n in range(1, 5)}
    ranked = client.get(f"{API}/sweeps/{created['id']}/importances").json()
    assert ranked["configs"] == 4 and list(ranked["importances"]) == ["optimizer.lr"]
    assert LayerLab(http=client).sweep(created["id"]).importances() == ranked["importances"]


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server of its own that trains one run at a time: trials end in the order queued,
    whatever else the machine does."""
    settings = Settings(home=tmp_path_factory.mktemp("sequential"), max_concurrent_runs=1,
                        allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_trial_that_lags_is_stopped_early_with_its_reason(one_at_a_time: TestClient
                                                            ) -> None:
    """Two good trials first, then two that barely learn, each judged from its second
    epoch against the median of the ended trials (once two have)."""
    client = one_at_a_time
    created = _sweep(client, {"parameters": {"optimizer.lr": [0.05, 1e-7], "seed": [1, 2]},
                              "early_stopping": "median"},
                     training=CIRCLE | {"epochs": 30})
    sweep = _finished(client, created["id"])
    trials: list[dict[str, Any]] = sweep["trials"]
    assert [(t["status"], t["pruned_at"]) for t in trials[:2]] == [("completed", None)] * 2
    assert [t["status"] for t in trials[2:]] == ["stopped"] * 2
    lagging = trials[3]
    assert lagging["status"] == "stopped" and lagging["pruned_at"] is not None
    assert lagging["epoch"] < 30  # stopped early, its curve kept
    assert lagging["error"].startswith(f"pruned at epoch {lagging['pruned_at']} (val_loss ")
    assert "worse than the median of the other trials'" in lagging["error"]
    curve = client.get(f"{API}/runs/{lagging['run_id']}/metrics",
                       params={"names": "val_loss"}).json()
    kept = len([v for v in curve["val_loss"] if v is not None])
    assert lagging["pruned_at"] <= kept == lagging["epoch"]  # the stop lands a step later


def test_repeats_rank_a_configuration_on_the_mean_of_its_seeds(client: TestClient) -> None:
    created = _sweep(client, {"parameters": {"optimizer.lr": [0.05, 0.0005]}, "repeats": 3},
                     training=CIRCLE)
    assert [(t["config"], t["repeat"]) for t in created["trials"]] == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    sweep = _finished(client, created["id"])
    seeds = [client.get(f"{API}/runs/{t['run_id']}").json()["training"]["seed"]
             for t in sweep["trials"][:3]]
    assert seeds == [0, 1, 2]
    fast, slow = sweep["configs"]
    scores = [t["score"] for t in sweep["trials"][:3]]
    assert fast["scored"] == 3 and fast["mean"] == pytest.approx(sum(scores) / 3)
    assert fast["std"] > 0  # three seeds, three scores
    assert sweep["best_config"] == 0 and fast["mean"] < slow["mean"]
    assert sweep["best_run_id"] == min(sweep["trials"][:3], key=lambda t: t["score"])["run_id"]


@pytest.mark.parametrize(("sweep", "says"), [
    ({"method": "cmaes", "trials": 3, "parameters": {"batch_size": [8, 16]}},
     "cmaes searches numbers in ranges"),
    ({"method": "tpe", "trials": 3, "early_stopping": "median", "metric": "test_loss",
      "parameters": {"optimizer.lr": LR}}, "early stopping reads the metric each epoch"),
    ({"parameters": {"optimizer.lr": [0.1]}, "repeats": 2, "early_stopping": "median"},
     "use repeats 1"),
    ({"method": "tpe", "trials": 3, "parameters": {"optimizer.lr": {"low": 0.1, "high": 20}}},
     "trial"),  # a learning rate of 20 is out of bounds: checked at the range's ends
])
def test_a_search_that_cannot_run_is_refused(client: TestClient, sweep: dict[str, Any],
                                             says: str) -> None:
    answer = client.post(f"{API}/sweeps", json={"model": {"preset": "toy-mlp"},
                                                "training": CIRCLE, "sweep": sweep})
    assert answer.status_code == 422 and says in answer.text, answer.text


def test_a_stopped_search_asks_no_more_until_it_is_resumed(client: TestClient) -> None:
    created = _sweep(client, {"method": "tpe", "trials": 3, "seed": 2,
                              "parameters": {"optimizer.lr": LR}},
                     training=CIRCLE | {"epochs": 100})
    stopped = client.post(f"{API}/sweeps/{created['id']}/stop").json()
    first = len(stopped["trials"])
    assert 1 <= first <= 2
    deadline = time.monotonic() + 60
    while (info := client.get(f"{API}/sweeps/{created['id']}").json())["status"] != "stopped":
        assert time.monotonic() < deadline, info["counts"]
        time.sleep(0.2)
    assert len(info["trials"]) == first  # nothing asked for while stopped
    resumed = client.post(f"{API}/sweeps/{created['id']}/resume")
    assert resumed.status_code == 202
    sweep = _finished(client, created["id"])
    assert [t["config"] for t in sweep["trials"]] == [0, 1, 2]  # on to its budget
    assert sweep["counts"].get("stopped") == first
