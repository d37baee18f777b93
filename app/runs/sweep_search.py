"""A sweep's search on Optuna: its samplers choose each next configuration of a `tpe` or
`cmaes` sweep, its pruners stop trials that lag, and its importance evaluator says which
parameters mattered. Optuna is the well-kept library for exactly these; LayerLab adds no
search code of its own.

The study lives in memory and is rebuilt from the sweep's trials as LayerLab's store
keeps them (their values, their runs' scores, their metric at each epoch), not in
Optuna's own RDB storage: the trials are LayerLab runs, whose status and metrics the
store already holds and which a user may stop, resume or delete; a second copy in
Optuna's schema would have to be kept in step with them. A study rebuilt from the same
trials (after a restart, a resume) asks for the same next configuration: its sampler is
seeded with the sweep's seed and the number of trials before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from optuna.trial import TrialState, create_trial

from app.spec.sweep import Params, Range, SweepSpec

optuna.logging.set_verbosity(optuna.logging.WARNING)  # a study's notes are not ours to show

PRUNE_AFTER_TRIALS = 2
"""Early stopping compares a trial with at least this many ended ones."""
PRUNE_FROM_EPOCH = 1
"""... from its second epoch (index 1): one epoch is too early to judge."""

State = Literal["running", "complete", "pruned", "failed"]
_STATES = {"running": TrialState.RUNNING, "complete": TrialState.COMPLETE,
           "pruned": TrialState.PRUNED, "failed": TrialState.FAIL}


@dataclass
class Known:
    """A configuration tried so far, as the study needs it: its values, how it ended,
    its score, and the sweep's metric at each epoch (from 0)."""

    params: Params
    state: State
    value: float | None = None
    epochs: dict[int, float] = field(default_factory=dict)


def distributions(sweep: SweepSpec) -> dict[str, BaseDistribution]:
    """Each parameter's space: a range as numbers (log-scaled where asked, whole numbers
    where asked), listed values as a choice among their positions (values may be lists,
    which Optuna's choices cannot be)."""
    spaces: dict[str, BaseDistribution] = {}
    for path, values in sweep.parameters.items():
        if isinstance(values, Range):
            if values.integer:
                spaces[path] = IntDistribution(math.ceil(values.low), math.floor(values.high),
                                               log=values.log)
            else:
                spaces[path] = FloatDistribution(values.low, values.high, log=values.log)
        else:
            spaces[path] = CategoricalDistribution(list(range(len(values))))
    return spaces


def to_study(sweep: SweepSpec, params: Params) -> dict[str, object]:
    """A configuration's values as the study holds them (listed values by position)."""
    out: dict[str, object] = {}
    for path, values in sweep.parameters.items():
        value = params[path]
        out[path] = value if isinstance(values, Range) else values.index(value)
    return out


def from_study(sweep: SweepSpec, params: dict[str, object]) -> Params:
    out: Params = {}
    for path, values in sweep.parameters.items():
        value = params[path]
        if isinstance(values, Range):
            assert isinstance(value, (int, float))  # a range's distribution gives numbers
            out[path] = value
        else:
            assert isinstance(value, int)  # a list's distribution gives positions
            out[path] = values[value]
    return out


class Search:
    """One sweep's study, built from what is known of its trials."""

    def __init__(self, sweep: SweepSpec, known: list[Known]) -> None:
        self.sweep = sweep
        self.spaces = distributions(sweep)
        self.study = optuna.create_study(
            direction="maximize" if sweep.maximize else "minimize",
            sampler=self._sampler(len(known)), pruner=self._pruner())
        for config in known:
            self.study.add_trial(create_trial(
                params=to_study(sweep, config.params), distributions=self.spaces,
                state=_STATES[config.state],
                value=config.value if config.state == "complete" else None,
                intermediate_values=config.epochs))

    def _sampler(self, before: int) -> optuna.samplers.BaseSampler:
        seed = self.sweep.seed + before  # the same trials rebuilt ask the same
        if self.sweep.method == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        if self.sweep.method == "tpe":
            # Running trials count as bad guesses, so trials asked for together differ; a
            # quarter of the budget (2 to 10) is drawn at random first, so a small sweep
            # gets to learn (Optuna's default, 10, is all of a 10-trial sweep).
            startup = max(2, min(10, (self.sweep.trials or 0) // 4))
            return optuna.samplers.TPESampler(seed=seed, constant_liar=True,
                                              n_startup_trials=startup)
        return optuna.samplers.RandomSampler(seed=seed)

    def _pruner(self) -> optuna.pruners.BasePruner:
        if self.sweep.early_stopping == "median":
            return optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER_TRIALS,
                                               n_warmup_steps=PRUNE_FROM_EPOCH)
        if self.sweep.early_stopping == "hyperband":
            return optuna.pruners.HyperbandPruner(min_resource=1 + PRUNE_FROM_EPOCH)
        return optuna.pruners.NopPruner()

    def ask(self) -> tuple[int, Params]:
        """The next configuration to try, and its number in the study."""
        trial = self.study.ask(self.spaces)
        return trial.number, from_study(self.sweep, trial.params)

    def running(self, params: Params) -> int:
        """A configuration chosen elsewhere (a grid's, a random draw's) as a running trial
        of the study, for early stopping to judge; its number."""
        self.study.enqueue_trial(to_study(self.sweep, params), skip_if_exists=False)
        return self.study.ask(self.spaces).number

    def report(self, number: int, epoch: int, value: float) -> bool:
        """Record the metric at an epoch (from 0); whether the trial should stop now."""
        trial = optuna.trial.Trial(self.study, self._trial_id(number))
        if not math.isfinite(value):
            return False
        trial.report(value, epoch)
        return trial.should_prune()

    def tell(self, number: int, state: State, value: float | None = None) -> None:
        """How a trial ended (its score when complete); a trial the study already knows
        ended (rebuilt from the store) is left as it is."""
        if self.study.get_trials(deepcopy=False)[number].state.is_finished():
            return
        if state == "complete" and value is not None and math.isfinite(value):
            self.study.tell(number, value)
        else:
            self.study.tell(number, state=_STATES["pruned" if state == "pruned" else "failed"])

    def _trial_id(self, number: int) -> int:
        trial_id: int = self.study.get_trials(deepcopy=False)[number]._trial_id
        return trial_id


def importances(sweep: SweepSpec, known: list[Known]) -> dict[str, float] | None:
    """How much each parameter mattered to the score (Optuna's fANOVA, seeded), summing
    to 1, most important first; None while fewer than two configurations have a score or
    the scores do not vary."""
    done = [config for config in known if config.state == "complete" and config.value is not None]
    varied = [path for path in sweep.parameters
              if len({str(config.params[path]) for config in done}) > 1]
    if len(done) < 2 or not varied:
        return None
    search = Search(sweep, done)
    try:
        found = get_param_importances(search.study, evaluator=FanovaImportanceEvaluator(
            seed=sweep.seed), params=varied)
    except RuntimeError:  # "zero total variance": every score alike
        return None
    return {path: float(value) for path, value in found.items()}
