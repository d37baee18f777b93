"""The sweeps service: a sweep's trials become runs, queued through the runs service (so
the executor schedules them like any run), and its results are read off those runs. A grid
or random sweep queues every trial at once; a search that learns (tpe, cmaes) queues as
many as the executor trains at once and asks for the next as each ends, and early stopping
watches every trial's epochs (app.runs.sweep_driver)."""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from app.datasets.base import DatasetError
from app.runs.score import Score, score
from app.runs.service import RunService, RunStateError, resumable_failure
from app.runs.sweep_driver import SweepDriver
from app.runs.sweep_search import Known, importances
from app.spec import NetworkSpec, SpecError
from app.spec.events import FINAL_STATUSES, RESUMABLE_STATUSES
from app.spec.sweep import Params, SweepError, SweepSpec, apply_params, corners, trial_params
from app.spec.training import TrainingSpec
from app.store.base import RunRecord, RunStore, SweepRecord, Trial, owned_by
from app.train.session import check_training
from app.train.tasks import TaskError

ACTIVE = ("queued", "running")


class SweepNotFound(KeyError):
    """No sweep has this id (an API 404). Not a missing run: a sweep's trials are runs,
    and the two are told apart wherever either can be missing."""


@dataclass(frozen=True)
class TrialResult:
    """A trial as it stands: its values, its run (None once the run is deleted) and its
    score, the sweep's metric read off the run (None until the run has it)."""

    trial: Trial
    run: RunRecord | None
    score: Score | None


@dataclass(frozen=True)
class ConfigResult:
    """A configuration and its runs' scores: their mean and spread (with repeats)."""

    config: int
    params: Params
    trials: list[TrialResult]
    mean: float | None  # over the completed runs' scores
    std: float | None  # their population standard deviation (0 for one run)
    scored: int  # how many runs have a score


@dataclass(frozen=True)
class SweepResults:
    sweep: SweepRecord
    trials: list[TrialResult]
    configs: list[ConfigResult]
    best: TrialResult | None  # the best-scored completed run of the best configuration
    best_config: ConfigResult | None  # the configuration with the best mean

    @property
    def status(self) -> Literal["running", "stopped", "finished"]:
        active = any(t.run is not None and t.run.status in ACTIVE for t in self.trials)
        short = len({t.trial.config for t in self.trials}) < self.sweep.sweep.configurations
        if self.sweep.stopped and short and not active:
            return "stopped"
        # a search between trials: the next is asked for as soon as the last one's end is read
        return "running" if active or (short and self.sweep.sweep.adaptive) else "finished"

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.trials:
            status = t.run.status if t.run is not None else "deleted"
            counts[status] = counts.get(status, 0) + 1
        return counts


class SweepService:
    """Sweeps over the runs service: trials are queued, stopped and read through it; the
    store only keeps the sweeps' own records."""

    def __init__(self, runs: RunService, store: RunStore) -> None:
        self.runs, self._store = runs, store
        self.driver = SweepDriver(runs, store, self._queue)
        self._resumed: set[str] = set()

    def close(self) -> None:
        self.driver.close()

    def create(self, spec: NetworkSpec, training: TrainingSpec, sweep: SweepSpec,
               name: str | None = None, owner: str | None = None) -> SweepRecord:
        """Check every trial (a search: every value at the ends of its ranges and every
        listed one), then queue them; nothing is queued when one does not fit (a
        SweepError names it)."""
        configs = [] if sweep.adaptive else trial_params(sweep)
        for number, params in enumerate(configs or corners(sweep), start=1):
            for repeat in range(sweep.repeats):
                self._checked(spec, training, sweep, params, repeat, number)
        record = SweepRecord(id=uuid.uuid4().hex, name=name or f"{spec.name} sweep",
                             created_at=datetime.now(UTC), spec=spec, training=training,
                             sweep=sweep, trials=[], owner=owner)
        trials = [self._queue(record, params, config, repeat)
                  for config, params in enumerate(configs)
                  for repeat in range(sweep.repeats)]
        self._store.create_sweep(record.model_copy(update={"trials": trials}))
        self.driver.start(record)
        self.driver.wait_idle()  # a search's first trials are queued before this answers
        return self.get(record.id)

    def _checked(self, spec: NetworkSpec, training: TrainingSpec, sweep: SweepSpec,
                 params: Params, repeat: int, number: int) -> tuple[NetworkSpec, TrainingSpec]:
        """The network and settings of one run of a configuration, checked as a run is."""
        try:
            network, settings = apply_params(spec, training, params)
            if sweep.repeats > 1:
                settings = settings.model_copy(update={"seed": training.seed + repeat})
            check_training(network, settings, self.runs.limits)
        except SpecError as exc:
            wrong = "; ".join(str(issue) for issue in exc.issues)
            raise SweepError(f"trial {number} {params}: {wrong}") from None
        except (SweepError, DatasetError, TaskError) as exc:
            raise SweepError(f"trial {number} {params}: {exc}") from None
        return network, settings

    def _queue(self, record: SweepRecord, params: Params, config: int, repeat: int) -> Trial:
        """Queue one run of a configuration (SweepError when its values do not fit)."""
        network, settings = self._checked(record.spec, record.training, record.sweep,
                                          params, repeat, config + 1)
        number = config * record.sweep.repeats + repeat + 1
        run = self.runs.create(network, settings, f"{record.name} #{number}",
                               owner=record.owner)
        return Trial(run_id=run.id, params=params, config=config, repeat=repeat)

    def get(self, sweep_id: str) -> SweepRecord:
        sweep = self._store.get_sweep(sweep_id)
        if sweep is None:
            raise SweepNotFound(sweep_id)
        return sweep

    def _trial_runs(self, sweep: SweepRecord) -> list[RunRecord]:
        """The trials' runs that still exist, read in one query."""
        return self.runs.existing([t.run_id for t in sweep.trials])

    def list(self, limit: int = 50, offset: int = 0,
             owners: Sequence[str] | None = None) -> list[SweepRecord]:
        """Newest first; only those of `owners` when given."""
        return self._store.list_sweeps(limit=limit, offset=offset, owners=owners)

    def results(self, sweep: SweepRecord) -> SweepResults:
        runs = {run.id: run for run in self._trial_runs(sweep)}
        self._keep_going(sweep, runs)
        metric = sweep.sweep.metric
        trials = [TrialResult(trial, runs.get(trial.run_id),
                              score(runs[trial.run_id], metric) if trial.run_id in runs else None)
                  for trial in sweep.trials]
        configs = _configs(trials)
        sign = -1.0 if sweep.sweep.maximize else 1.0
        ranked = [c for c in configs if c.mean is not None]
        best_config = min(ranked, key=lambda c: sign * c.mean) if ranked else None  # type: ignore[operator]
        done = [t for t in (best_config.trials if best_config else [])
                if t.score is not None and t.run is not None and t.run.status == "completed"]
        best = min(done, key=lambda t: sign * t.score.value) if done else None  # type: ignore[union-attr]
        return SweepResults(sweep, trials, configs, best, best_config)

    def importances(self, sweep: SweepRecord) -> dict[str, float] | None:
        """How much each parameter mattered to the configurations' mean scores (Optuna's
        fANOVA); None while too few have a score."""
        known = [Known(c.params, "complete", c.mean) for c in self.results(sweep).configs
                 if c.mean is not None]
        return importances(sweep.sweep, known)

    def _keep_going(self, sweep: SweepRecord, runs: dict[str, RunRecord]) -> None:
        """A search or early stopping of this server's that nothing watches yet (after a
        restart) is picked up the first time the sweep is read, if it has work left."""
        if sweep.id in self._resumed or not self.driver.needed(sweep.sweep) or not owned_by(
                sweep, self._store.server_id):
            return
        self._resumed.add(sweep.id)
        unfinished = any(run.status not in FINAL_STATUSES for run in runs.values())
        asks = (sweep.sweep.adaptive and not sweep.stopped
                and len({t.config for t in sweep.trials}) < sweep.sweep.configurations)
        if unfinished or asks:
            self.driver.start(sweep)

    def stop(self, sweep_id: str) -> SweepRecord:
        """Stop every trial that has not ended (queued, running, paused, interrupted)."""
        sweep = self.get(sweep_id)
        runs = self._trial_runs(sweep)
        elsewhere = {run.server for run in runs
                     if run.status in ACTIVE and not self.runs.owns(run)}
        if elsewhere:  # servers sharing a database do not signal each other
            raise RunStateError(f"sweep {sweep_id} has trials queued or running on server(s) "
                                f"{', '.join(sorted(map(str, elsewhere)))}: stop it through "
                                "that server")
        self._store.update_sweep(sweep_id, stopped=True)
        self.driver.stopped(sweep_id)
        for run in runs:
            if run.status not in FINAL_STATUSES:
                with contextlib.suppress(RunStateError):  # it ended meanwhile
                    self.runs.stop(run.id)
        return self.get(sweep_id)

    def resume(self, sweep_id: str) -> SweepRecord:
        """Resume every paused or interrupted trial (a server restart interrupts the queued
        and running ones), and every one that failed because of the disk or its worker,
        from its last checkpoint."""
        sweep = self.get(sweep_id)
        self._store.update_sweep(sweep_id, stopped=False)
        for run in self._trial_runs(sweep):
            resumable = run.status in RESUMABLE_STATUSES or resumable_failure(run)
            if resumable and self.runs.owns(run):
                with contextlib.suppress(RunStateError):  # resumed meanwhile
                    self.runs.resume(run.id)
        sweep = self.get(sweep_id)
        self._resumed.add(sweep_id)
        self.driver.start(sweep)  # a search asks for the configurations still to try
        return sweep

    def delete(self, sweep_id: str) -> None:
        """Remove the sweep and its trials' runs; refused while a trial is active."""
        sweep = self.get(sweep_id)
        runs = self._trial_runs(sweep)
        active = [run.id for run in runs if run.status in ACTIVE]
        if active:
            raise RunStateError(f"sweep {sweep_id} has {len(active)} queued or running "
                                "trial(s): stop it before deleting it")
        for run in runs:
            self.runs.delete(run.id)
        self._store.delete_sweep(sweep_id)


def _configs(trials: list[TrialResult]) -> list[ConfigResult]:
    """The trials grouped by configuration, each with its runs' mean score and spread."""
    grouped: dict[int, list[TrialResult]] = {}
    for result in trials:
        grouped.setdefault(result.trial.config, []).append(result)
    out = []
    for config, results in sorted(grouped.items()):
        values = [r.score.value for r in results if r.score is not None and r.run is not None
                  and r.run.status == "completed"]
        mean = sum(values) / len(values) if values else None
        std = (math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
               if mean is not None else None)
        out.append(ConfigResult(config, dict(results[0].trial.params), results, mean, std,
                                len(values)))
    return out
