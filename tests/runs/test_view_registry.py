"""The inspect-view registry against the task kinds: every view a kind names is a view of
the kind's own, and which views a preset network has follows from its task, input and
layers (the API lists the same: tests/api/test_inspect_views_api.py)."""

from __future__ import annotations

from typing import Any

import pytest

from app.runs.facts import RunFacts
from app.runs.views import VIEWS, AtEpoch, views_for
from app.spec import NetworkSpec
from app.spec.training import TrainingSpec
from app.train import TASK_KINDS


def test_the_views_a_kind_names_are_its_own_views() -> None:
    named = {name for kind in TASK_KINDS.values() for name in kind.views}
    assert named <= set(VIEWS), named - set(VIEWS)
    assert named == {view.name for view in VIEWS.values() if view.own}


def test_every_view_has_typed_params_and_an_answer() -> None:
    for view in VIEWS.values():
        assert view.description and view.title
        assert view.params.model_config.get("extra") == "forbid", view.name
        assert view.answer.model_json_schema()["type"] == "object"
    network = {name for name, view in VIEWS.items() if issubclass(view.params, AtEpoch)}
    assert {"histograms", "samples"}.isdisjoint(network) and "activations" in network


def _facts(presets: dict[str, NetworkSpec], preset: str, training: dict[str, Any]
           ) -> RunFacts:
    return RunFacts.of(presets[preset], TrainingSpec.model_validate(training))


@pytest.mark.parametrize(("preset", "training", "views"), [
    ("toy-mlp", {"dataset": {"name": "xor"}}, {"boundary", "confusion"}),
    ("lstm-sequence", {"dataset": {"name": "sine-forecast"}}, {"predictions"}),
    ("lenet5", {"dataset": {"name": "mnist-10k"}}, {"confusion", "draw", "filters"}),
    ("char-lstm", {"dataset": {"name": "chars"}}, {"generate"}),
    ("mnist-autoencoder", {"dataset": {"name": "mnist-10k"}, "task": "reconstruction"},
     {"draw", "reconstructions"}),
])
def test_a_run_has_the_views_its_task_input_and_layers_give(
        presets: dict[str, NetworkSpec], preset: str, training: dict[str, Any],
        views: set[str]) -> None:
    listed = {view.name for view in views_for(_facts(presets, preset, training))}
    kind_views = {name for kind in TASK_KINDS.values() for name in kind.views}
    assert listed & (kind_views | {"boundary", "draw", "filters", "attention"}) == views
