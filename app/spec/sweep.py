"""A sweep: one network and training settings run many times, each trial with some fields
set to values tried. A parameter is a dotted path: `layers.<id>.<field>` and
`input.<field>` reach into the network, anything else into the training settings
(`optimizer.lr`, `batch_size`, `dataset.options.noise`). A grid tries every combination
of the listed values; a random search draws `trials` combinations, from a list (each value
alike) or a range (uniform, or log-uniform for scales like a learning rate). A search that
learns from finished trials (`tpe`, `cmaes`) asks for each next trial as earlier ones end
(app.runs.sweep_search, on Optuna); `early_stopping` stops trials whose metric lags the
others' at the same epoch; `repeats` trains each configuration with several seeds."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, JsonValue, ValidationError, model_validator

from app.spec.base import NETWORK_INPUT, SpecModel
from app.spec.errors import issues_from_validation
from app.spec.network import NetworkSpec
from app.spec.training import TrainingSpec

MAX_TRIALS = 256
"""The most runs one sweep queues."""
PATH = r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+){0,7}$"
ParamPath = Annotated[str, Field(pattern=PATH, max_length=200)]
M = TypeVar("M", bound=SpecModel)
Params = dict[str, JsonValue]
"""One trial's values, by parameter path."""


class Range(SpecModel):
    """Numbers from `low` to `high` (not in a grid)."""

    low: float
    high: float
    log: bool = Field(default=False, description=(
        "Draw the logarithm uniformly, so each power of ten is tried as often (for a "
        "learning rate, say); low must be above 0."))
    integer: bool = Field(default=False, description="Round to whole numbers (units, "
                                                     "batch sizes).")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"a range needs low < high, not {self.low} and {self.high}")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        if self.integer and math.floor(self.high) < math.ceil(self.low):
            raise ValueError(f"no whole number lies between {self.low} and {self.high}")
        return self

    def draw(self, rng: random.Random) -> float | int:
        if self.integer and not self.log:
            return rng.randint(math.ceil(self.low), math.floor(self.high))
        value = (math.exp(rng.uniform(math.log(self.low), math.log(self.high))) if self.log
                 else rng.uniform(self.low, self.high))
        if self.integer:
            return min(math.floor(self.high), max(math.ceil(self.low), round(value)))
        return value


Values = Annotated[list[JsonValue], Field(min_length=1, max_length=64)]


class SweepSpec(SpecModel):
    """What to try, and how to tell the best trial."""

    method: Literal["grid", "random", "tpe", "cmaes"] = Field(default="grid", description=(
        "grid: every combination of the listed values; random: `trials` draws; tpe: "
        "`trials` chosen one after another by a Bayesian search (Optuna's TPE) that learns "
        "from the trials already ended; cmaes: the same with CMA-ES, for ranges only."))
    parameters: dict[ParamPath, Values | Range] = Field(
        min_length=1, max_length=16, description=(
            "The fields to vary, by dotted path: e.g. {'optimizer.lr': [0.01, 0.001], "
            "'layers.hidden1.units': [8, 16, 32]}; a random search may give a range, "
            "{'low': 1e-4, 'high': 0.1, 'log': true}."))
    trials: int | None = Field(default=None, ge=1, le=MAX_TRIALS, description=(
        "random, tpe, cmaes: how many configurations to try; grid: leave out (every "
        "combination runs)."))
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description=(
        "Seeds the draws and the search, so a sweep is reproducible (a search that learns "
        "is, given the same order of ended trials)."))
    early_stopping: Literal["none", "median", "hyperband"] = Field(
        default="none", description=(
            "Stop trials that lag, reading the metric each epoch: median stops one whose "
            "metric is worse than the median of the ended trials' at the same epoch "
            "(Optuna's MedianPruner), hyperband by successive halving across brackets "
            "(HyperbandPruner). A stopped trial keeps its curve."))
    repeats: int = Field(default=1, ge=1, le=10, description=(
        "Runs per configuration, each with its own seed (training.seed + 0, 1, ...): "
        "trials are ranked on the mean of their runs' scores."))
    metric: str = Field(default="val_loss", min_length=1, max_length=64, description=(
        "What ranks the trials: an epoch metric at its best epoch (val_loss, "
        "val_accuracy, train_loss...) or a test metric after training (test_accuracy)."))
    mode: Literal["auto", "min", "max"] = Field(default="auto", description=(
        "auto: max for accuracy and r2, min otherwise."))

    @model_validator(mode="after")
    def _fits_method(self) -> SweepSpec:
        if self.method == "grid":
            ranges = [path for path, values in self.parameters.items()
                      if isinstance(values, Range)]
            if ranges:
                raise ValueError(f"a grid needs listed values, not a range ({', '.join(ranges)}):"
                                 " list them, or use method random")
            if self.trials is not None:
                raise ValueError("a grid runs every combination: leave trials out, or use "
                                 "method random")
            size = math.prod(len(values) for values in self.parameters.values()
                             if isinstance(values, list))
            if size > MAX_TRIALS:
                raise ValueError(f"the grid has {size} combinations; a sweep runs "
                                 f"{MAX_TRIALS} at most")
        elif self.trials is None:
            raise ValueError(f"a {self.method} search needs trials: how many configurations "
                             "to try")
        if self.method == "cmaes":
            listed = [path for path, values in self.parameters.items()
                      if not isinstance(values, Range)]
            if listed:
                raise ValueError(f"cmaes searches numbers in ranges; {', '.join(listed)} "
                                 "lists values: give ranges, or use method tpe")
        if self.early_stopping != "none" and self.metric.startswith("test_"):
            raise ValueError("early stopping reads the metric each epoch; a test metric is "
                             "measured once, after training: rank by a val_ or train_ metric")
        if self.early_stopping != "none" and self.repeats > 1:
            raise ValueError("early stopping judges one run at a time: use repeats 1 with it")
        runs = self.configurations * self.repeats
        if runs > MAX_TRIALS:
            raise ValueError(f"the sweep would queue {runs} runs ({self.configurations} "
                             f"configurations x {self.repeats} repeats); {MAX_TRIALS} at most")
        return self

    @property
    def configurations(self) -> int:
        """How many configurations the sweep tries (each run `repeats` times)."""
        if self.method == "grid":
            return math.prod(len(values) for values in self.parameters.values()
                             if isinstance(values, list))
        assert self.trials is not None  # the validator saw to it
        return self.trials

    @property
    def adaptive(self) -> bool:
        """Whether each next configuration is chosen as earlier trials end."""
        return self.method in ("tpe", "cmaes")

    @property
    def maximize(self) -> bool:
        if self.mode != "auto":
            return self.mode == "max"
        return "accuracy" in self.metric or "r2" in self.metric


class SweepError(ValueError):
    """A trial's values do not fit the network or the settings."""


def trial_params(sweep: SweepSpec) -> list[Params]:
    """Each configuration's values, in the order the runs are queued (grid and random;
    a search that learns asks for them one by one)."""
    paths = list(sweep.parameters)
    if sweep.method == "grid":
        lists = [values for values in sweep.parameters.values() if isinstance(values, list)]
        return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*lists)]
    assert sweep.method == "random" and sweep.trials is not None  # the validator saw to it
    rng = random.Random(sweep.seed)
    return [{path: _draw(sweep.parameters[path], rng) for path in paths}
            for _ in range(sweep.trials)]


def corners(sweep: SweepSpec) -> list[Params]:
    """What a search may try, checked before it starts: each parameter at each listed
    value and at both ends of its range, the others at their first value or low end."""
    first = {path: values.low if isinstance(values, Range) else values[0]
             for path, values in sweep.parameters.items()}
    for path, values in sweep.parameters.items():  # whole numbers where asked
        if isinstance(values, Range) and values.integer:
            first[path] = math.ceil(values.low)
    out = [first]
    for path, values in sweep.parameters.items():
        ends: list[JsonValue] = (
            [math.floor(values.high) if values.integer else values.high]
            if isinstance(values, Range) else list(values[1:]))
        out.extend({**first, path: end} for end in ends)
    return out


def _draw(values: list[JsonValue] | Range, rng: random.Random) -> JsonValue:
    return values.draw(rng) if isinstance(values, Range) else rng.choice(values)


def apply_params(network: NetworkSpec, training: TrainingSpec, params: Mapping[str, Any]
                 ) -> tuple[NetworkSpec, TrainingSpec]:
    """The network and settings one trial runs with, validated again; a SweepError names
    the path that does not fit."""
    net = network.model_dump(mode="json", exclude_none=True)
    settings = training.model_dump(mode="json")
    for path, value in params.items():
        head, _, rest = path.partition(".")
        if head == "layers":
            layer_id, _, field = rest.partition(".")
            ids = [layer["id"] for layer in net["layers"]]
            if layer_id not in ids or not field:
                raise SweepError(f"{path}: name a layer and its field, layers.<id>.<field>, "
                                 f"with a layer of this network: {', '.join(ids)}")
            _set(net["layers"][ids.index(layer_id)], field, value, path)
        elif head == NETWORK_INPUT:
            if not rest:
                raise SweepError(f"{path}: name a field of the input, e.g. input.shape")
            _set(net["input"], rest, value, path)
        else:
            _set(settings, path, value, path)
    wrong: list[str] = []
    tried, tried_settings = _validated(NetworkSpec, net, wrong), _validated(TrainingSpec,
                                                                          settings, wrong)
    if tried is None or tried_settings is None:
        raise SweepError("; ".join(wrong))
    return tried, tried_settings


def _validated(model: type[M], data: dict[str, Any], wrong: list[str]) -> M | None:
    """The data as a `model`, or None with what is wrong added to `wrong`, each named by
    its path (a layer by its id, not its place)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:  # named by paths, as a sweep's parameters are
        wrong.extend(f"{issue.path}: {issue.message}" if issue.path else issue.message
                     for issue in issues_from_validation(exc, data))
        return None


def _set(target: dict[str, Any], dotted: str, value: Any, path: str) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            raise SweepError(f"{path}: {key} holds a value, not fields")
        target = inner
    target[keys[-1]] = value
