"""The search behind sweeps, on Optuna, driven as the sweeps service drives it (ask, tell,
report) with objectives computed at once instead of trained: TPE finds better values than
a random search of the same budget and seed, on average over seeds; early stopping
stops a trial that lags the others at the same epoch; importances name the parameter
that decides the score; a study rebuilt from the same trials asks the same."""

from __future__ import annotations

import math
from collections.abc import Callable

from app.runs.sweep_search import Known, Search, importances
from app.spec.sweep import Params, SweepSpec, trial_params

LR = {"low": 1e-5, "high": 1.0, "log": True}
BUDGET = 20


def _valley(params: Params) -> float:
    """A learning rate's loss: best at 10^-2.5, worse by the square of the decades away."""
    lr = params["optimizer.lr"]
    assert isinstance(lr, float)
    return (math.log10(lr) + 2.5) ** 2


def _search_best(method: str, seed: int, objective: Callable[[Params], float]) -> float:
    sweep = SweepSpec.model_validate({"method": method, "trials": BUDGET, "seed": seed,
                                      "parameters": {"optimizer.lr": LR}})
    if method == "random":
        return min(objective(params) for params in trial_params(sweep))
    search, best = Search(sweep, []), math.inf
    for _ in range(BUDGET):
        number, params = search.ask()
        value = objective(params)
        search.tell(number, "complete", value)
        best = min(best, value)
    return best


def test_tpe_beats_random_search_on_average_with_the_same_budget() -> None:
    seeds = range(5)
    tpe = sum(_search_best("tpe", seed, _valley) for seed in seeds) / len(seeds)
    random = sum(_search_best("random", seed, _valley) for seed in seeds) / len(seeds)
    assert tpe < random, (tpe, random)


def test_cmaes_asks_numbers_within_the_ranges() -> None:
    sweep = SweepSpec.model_validate({"method": "cmaes", "trials": 6, "parameters": {
        "optimizer.lr": LR, "layers.h.units": {"low": 4, "high": 64, "integer": True}}})
    search = Search(sweep, [])
    for _ in range(6):
        number, params = search.ask()
        units, lr = params["layers.h.units"], params["optimizer.lr"]
        assert isinstance(units, int) and 4 <= units <= 64
        assert isinstance(lr, float) and 1e-5 <= lr <= 1.0
        search.tell(number, "complete", _valley(params))


def test_a_trial_that_lags_the_median_is_stopped_from_its_second_epoch() -> None:
    sweep = SweepSpec.model_validate({"method": "tpe", "trials": 8, "early_stopping": "median",
                                      "parameters": {"optimizer.lr": LR}})
    good = {epoch: 1.0 - 0.1 * epoch for epoch in range(5)}
    known = [Known({"optimizer.lr": 0.01 * (i + 1)}, "complete", 0.6, good) for i in range(3)]
    search = Search(sweep, known)
    number, _ = search.ask()
    assert not search.report(number, 0, 5.0)  # the first epoch is not judged
    assert search.report(number, 1, 5.0)  # worse than the median at the second
    fine, _ = search.ask()
    assert not search.report(fine, 1, 0.8)


def test_a_study_rebuilt_from_the_same_trials_asks_the_same() -> None:
    sweep = SweepSpec.model_validate({"method": "tpe", "trials": 8, "seed": 3,
                                      "parameters": {"optimizer.lr": LR}})
    first = Search(sweep, [])
    known = []
    for _ in range(3):
        number, params = first.ask()
        first.tell(number, "complete", _valley(params))
        known.append(Known(params, "complete", _valley(params)))
    rebuilt = Search(sweep, known)
    again = Search(sweep, known)  # after a restart, say
    assert rebuilt.ask()[1] == again.ask()[1]
    again.tell(0, "failed")  # a trial's end heard again after the rebuild changes nothing
    assert again.study.trials[0].value == known[0].value


def test_importances_name_the_parameter_that_decides_the_score() -> None:
    sweep = SweepSpec.model_validate({"method": "random", "trials": 24, "seed": 1,
                                      "parameters": {"optimizer.lr": LR,
                                                     "batch_size": [16, 32, 64]}})
    known = [Known(params, "complete", _valley(params) + 0.01 * (params["batch_size"] == 64))
             for params in trial_params(sweep)]
    found = importances(sweep, known)
    assert found is not None and next(iter(found)) == "optimizer.lr"
    assert found["optimizer.lr"] > 0.8 and math.isclose(sum(found.values()), 1.0)
    assert importances(sweep, known[:1]) is None  # one configuration tells nothing


def test_hyperband_stops_lagging_trials_and_keeps_the_good_ones() -> None:
    """Thirty trials of eight epochs, as the driver runs them one at a time: a trial's
    loss falls towards its valley value; Hyperband stops some of the worst early."""
    sweep = SweepSpec.model_validate({"method": "tpe", "trials": 30, "seed": 4,
                                      "early_stopping": "hyperband",
                                      "parameters": {"optimizer.lr": LR}})
    search, stopped, finished = Search(sweep, []), [], []
    for _ in range(30):
        number, params = search.ask()
        final = _valley(params)
        for epoch in range(8):
            if search.report(number, epoch, final + 4.0 / (epoch + 1)):
                search.tell(number, "pruned")
                stopped.append(final)
                break
        else:
            search.tell(number, "complete", final)
            finished.append(final)
    assert stopped and finished
    assert min(finished) < min(stopped)  # the best trial was never stopped
