"""Sweep specs: what a grid and a random search try, and how a trial's values reach the
network and the training settings."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from app.spec import NetworkSpec
from app.spec.sweep import MAX_TRIALS, Range, SweepError, SweepSpec, apply_params, trial_params
from app.spec.training import TrainingSpec

NETWORK = NetworkSpec.model_validate({"input": {"shape": [2]}, "layers": [
    {"id": "fc1", "type": "dense", "units": 8, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2}]})
TRAINING = TrainingSpec.model_validate({"dataset": {"name": "xor"}})


def test_a_grid_tries_every_combination_in_order() -> None:
    sweep = SweepSpec(parameters={"optimizer.lr": [0.1, 0.01], "layers.fc1.units": [4, 8, 16]})
    trials = trial_params(sweep)
    assert len(trials) == 6
    assert trials[0] == {"optimizer.lr": 0.1, "layers.fc1.units": 4}
    assert trials[-1] == {"optimizer.lr": 0.01, "layers.fc1.units": 16}
    assert len({tuple(t.values()) for t in trials}) == 6


def test_a_random_search_draws_its_trials_the_same_way_for_a_seed() -> None:
    sweep = SweepSpec(method="random", trials=40, seed=3, parameters={
        "optimizer.lr": Range(low=1e-4, high=1e-1, log=True),
        "batch_size": [16, 32, 64],
        "layers.fc1.units": Range(low=2, high=64, integer=True)})
    trials = trial_params(sweep)
    assert trials == trial_params(sweep)
    assert trials != trial_params(sweep.model_copy(update={"seed": 4}))
    lrs = [t["optimizer.lr"] for t in trials]
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs)  # type: ignore[operator]
    # log-uniform: about as many draws below 1e-2.5 as above it
    low = sum(math.log10(lr) < -2.5 for lr in lrs)  # type: ignore[arg-type]
    assert 10 <= low <= 30
    units = [t["layers.fc1.units"] for t in trials]
    assert all(isinstance(u, int) and 2 <= u <= 64 for u in units)
    assert {t["batch_size"] for t in trials} <= {16, 32, 64}


def test_a_log_range_of_whole_numbers_stays_in_bounds() -> None:
    sweep = SweepSpec(method="random", trials=50, parameters={
        "batch_size": Range(low=8, high=512, log=True, integer=True)})
    sizes = [t["batch_size"] for t in trial_params(sweep)]
    assert all(isinstance(s, int) and 8 <= s <= 512 for s in sizes)
    assert min(sizes) < 32 and max(sizes) > 128  # type: ignore[type-var, operator]


@pytest.mark.parametrize(("data", "words"), [
    ({"parameters": {"optimizer.lr": {"low": 0.1, "high": 1}}}, "a grid needs listed values"),
    ({"parameters": {"epochs": [1, 2]}, "trials": 3}, "leave trials out"),
    ({"method": "random", "parameters": {"epochs": [1, 2]}}, "needs trials"),
    ({"parameters": {"epochs": list(range(1, 20)), "batch_size": list(range(1, 20))}},
     f"361 combinations; a sweep runs {MAX_TRIALS} at most"),
    ({"method": "random", "trials": 2, "parameters": {"optimizer.lr": {"low": 0, "high": 1,
                                                                        "log": True}}},
     "a log range needs low > 0"),
    ({"method": "random", "trials": 2, "parameters": {"epochs": {"low": 3, "high": 2}}},
     "low < high"),
    ({"method": "random", "trials": 2,
      "parameters": {"epochs": {"low": 2.2, "high": 2.8, "integer": True}}}, "no whole number"),
    ({"parameters": {}}, "at least 1"),
    ({"parameters": {"epochs": []}}, "at least 1"),
    ({"parameters": {"bad path!": [1]}}, "should match pattern"),
])
def test_a_sweep_that_cannot_run_says_why(data: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        SweepSpec.model_validate(data)


def test_values_reach_layers_the_input_and_nested_settings() -> None:
    network, training = apply_params(NETWORK, TRAINING, {
        "layers.fc1.units": 32, "layers.fc1.activation": "relu", "optimizer.lr": 0.05,
        "optimizer.name": "sgd", "dataset.options.noise": 0.2, "batch_size": 16,
        "early_stopping.enabled": True})
    assert network.layer("fc1").units == 32  # type: ignore[union-attr]
    assert network.layer("fc1").activation == "relu"  # type: ignore[union-attr]
    assert training.optimizer.lr == 0.05 and training.optimizer.name == "sgd"
    assert training.dataset.options == {"noise": 0.2}
    assert training.batch_size == 16 and training.early_stopping.enabled
    assert NETWORK.layer("fc1").units == 8  # type: ignore[union-attr] # the base is untouched
    assert TRAINING.optimizer.lr == 1e-3


def test_input_values_reach_the_network_input() -> None:
    network, _ = apply_params(NETWORK, TRAINING, {"input.shape": [3]})
    assert network.input.shape == [3]


@pytest.mark.parametrize(("params", "words"), [
    ({"layers.fc9.units": 4}, "with a layer of this network: fc1, out"),
    ({"layers.fc1": 4}, r"layers.<id>.<field>"),
    ({"input": [3]}, "name a field of the input"),
    ({"optimizer.lr": -1}, "optimizer.lr: Input should be greater than 0"),
    ({"optimizer.lrr": 0.1}, "optimizer.lrr: Extra inputs are not permitted"),
    ({"layers.fc1.units": "many"}, "layers.fc1.units: Input should be a valid integer"),
    ({"layers.out.units": 0, "batch_size": 0},
     "layers.out.units: Input should be greater than or equal to 1; batch_size: "),
    ({"epochs.count": 3}, "epochs holds a value, not fields"),
])
def test_values_that_do_not_fit_name_their_path(params: dict[str, object], words: str) -> None:
    with pytest.raises(SweepError, match=words):
        apply_params(NETWORK, TRAINING, params)


def test_the_metric_decides_which_way_is_better() -> None:
    params = {"parameters": {"epochs": [1]}}
    assert not SweepSpec.model_validate(params).maximize  # val_loss
    assert SweepSpec.model_validate({**params, "metric": "val_accuracy"}).maximize
    assert SweepSpec.model_validate({**params, "metric": "test_r2"}).maximize
    assert not SweepSpec.model_validate({**params, "metric": "val_accuracy", "mode": "min"}
                                        ).maximize
