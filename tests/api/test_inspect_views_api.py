"""GET /runs/{id}/inspect: the views that apply to a run, decided by its task, its input
and its layers, each with its parameters' schema. A run is listed as soon as it exists
(no weights needed), so the runs here are stopped at once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_inspect_api import _create

API = "/api/v1"
pytestmark = pytest.mark.slow
EVERY_RUN = {"histograms"}
FED = {"activations", "predict", "step", "embedding", "sample"}  # views that feed it samples
MAPS = {"activations/channel"}  # inputs with channels or steps: layers that give maps
CONFUSION = {"confusion", "confusion/cell"}
LATENT = {"latent", "latent/grid", "latent/interpolate"}
MNIST = {"name": "mnist-10k"}


@pytest.mark.parametrize(("preset", "training", "task", "views"), [
    ("toy-mlp", {"dataset": {"name": "xor"}}, "classification",
     EVERY_RUN | FED | CONFUSION | {"saliency", "boundary", "units"}),
    ("mnist-keras-cnn", {"dataset": MNIST}, "classification",
     EVERY_RUN | FED | MAPS | CONFUSION | {"saliency", "filters", "draw"}),
    ("char-transformer", {"dataset": {"name": "chars", "options": {"seq_len": 64}}}, "sequence",
     EVERY_RUN | FED | {"attention", "generate"}),
    ("translation-transformer", {"dataset": {"name": "number-words"}}, "seq2seq",
     EVERY_RUN | FED | {"attention", "translate"}),
    ("mnist-vae", {"dataset": MNIST, "task": "vae"}, "vae",
     EVERY_RUN | FED | MAPS | {"saliency", "draw", "reconstructions"} | LATENT),
    ("mnist-gan", {"dataset": MNIST, "task": "gan"}, "gan", EVERY_RUN | {"samples"}),
], ids=["mlp-xor", "keras-cnn-mnist", "char-transformer", "translation", "vae", "gan"])
def test_a_run_lists_the_views_that_apply_to_it(client: TestClient, preset: str,
                                                training: dict[str, Any], task: str,
                                                views: set[str]) -> None:
    run_id = _create(client, {"model": {"preset": preset},
                              "training": training | {"epochs": 1, "device": "cpu"}})
    try:
        answer = client.get(f"{API}/runs/{run_id}/inspect")
        assert answer.status_code == 200, answer.text
        listed = answer.json()
    finally:
        client.post(f"{API}/runs/{run_id}/stop")
    assert listed["task"] == task
    assert {view["name"] for view in listed["views"]} == views
    openapi = client.get("/openapi.json").json()
    for view in listed["views"]:
        assert view["path"] == f"/runs/{run_id}/inspect/{view['name']}"
        operation = openapi["paths"][f"{API}/runs/{{run_id}}/inspect/{view['name']}"]
        assert list(operation) == [view["method"].lower()]  # the view's own typed route
        assert view["params"]["type"] == "object" and view["description"]


def test_the_views_of_a_run_that_does_not_exist_are_404(client: TestClient) -> None:
    answer = client.get(f"{API}/runs/{'0' * 32}/inspect")
    assert answer.status_code == 404 and "0" * 32 in answer.json()["detail"]


def test_a_listed_view_answers_with_the_parameters_it_lists(client: TestClient) -> None:
    """The listed schema is the one the route validates: an unknown parameter is refused,
    a listed one taken."""
    run_id = _create(client, {"model": {"preset": "toy-mlp"}, "training": {
        "dataset": {"name": "xor"}, "epochs": 1, "device": "cpu"}})
    listed = client.get(f"{API}/runs/{run_id}/inspect").json()["views"]
    histograms = next(view for view in listed if view["name"] == "histograms")
    assert set(histograms["params"]["properties"]) == {"max_epochs"}
    assert client.get(f"{API}/runs/{run_id}/inspect/histograms",
                      params={"bogus": 1}).status_code == 422
    assert client.get(f"{API}/runs/{run_id}/inspect/histograms",
                      params={"max_epochs": 2}).status_code == 200


def test_the_task_kinds_are_listed_with_their_charts_and_views(client: TestClient) -> None:
    kinds = {kind["name"]: kind for kind in client.get(f"{API}/tasks").json()}
    assert list(kinds) == ["classification", "regression", "reconstruction", "sequence",
                           "seq2seq", "vae", "gan"]
    assert kinds["seq2seq"]["views"] == ["translate"]
    assert kinds["classification"]["charts"] == ["loss", "accuracy"]
    assert kinds["vae"]["metrics"] == ["loss", "reconstruction", "kl"]
    assert kinds["vae"]["views"] == ["reconstructions", *sorted(LATENT)]
    gan = kinds["gan"]
    assert not gan["reads_samples"] and gan["settings"] == ["gan"]
    assert gan["training_defaults"]["optimizer"]["betas"] == [0.5, 0.999]
    assert all(kind["reads_samples"] for name, kind in kinds.items() if name != "gan")
