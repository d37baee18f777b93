"""The sweeps service: a sweep's trials become runs, queued through the runs service (so
the executor schedules them like any run), and its results are read off those runs."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from app.datasets.base import DatasetError
from app.runs.score import Score, score
from app.runs.service import RunService, RunStateError, resumable_failure
from app.spec import NetworkSpec, SpecError
from app.spec.events import FINAL_STATUSES, RESUMABLE_STATUSES
from app.spec.sweep import SweepError, SweepSpec, apply_params, trial_params
from app.spec.training import TrainingSpec
from app.store.base import RunRecord, RunStore, SweepRecord, Trial
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
class SweepResults:
    sweep: SweepRecord
    trials: list[TrialResult]
    best: TrialResult | None  # the completed trial with the best score

    @property
    def status(self) -> Literal["running", "finished"]:
        active = any(t.run is not None and t.run.status in ACTIVE for t in self.trials)
        return "running" if active else "finished"

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

    def create(self, spec: NetworkSpec, training: TrainingSpec, sweep: SweepSpec,
               name: str | None = None) -> SweepRecord:
        """Check every trial, then queue one run each; nothing is queued when one does
        not fit (a SweepError names it)."""
        planned = []
        for number, params in enumerate(trial_params(sweep), start=1):
            try:
                network, settings = apply_params(spec, training, params)
                check_training(network, settings, self.runs.limits)
            except SpecError as exc:
                wrong = "; ".join(str(issue) for issue in exc.issues)
                raise SweepError(f"trial {number} {params}: {wrong}") from None
            except (SweepError, DatasetError, TaskError) as exc:
                raise SweepError(f"trial {number} {params}: {exc}") from None
            planned.append((params, network, settings))
        name = name or f"{spec.name} sweep"
        trials = []
        for number, (params, network, settings) in enumerate(planned, start=1):
            run = self.runs.create(network, settings, f"{name} #{number}")
            trials.append(Trial(run_id=run.id, params=params))
        record = SweepRecord(id=uuid.uuid4().hex, name=name, created_at=datetime.now(UTC),
                             spec=spec, training=training, sweep=sweep, trials=trials)
        self._store.create_sweep(record)
        return self.get(record.id)

    def get(self, sweep_id: str) -> SweepRecord:
        sweep = self._store.get_sweep(sweep_id)
        if sweep is None:
            raise SweepNotFound(sweep_id)
        return sweep

    def _trial_runs(self, sweep: SweepRecord) -> list[RunRecord]:
        """The trials' runs that still exist, read in one query."""
        return self.runs.existing([t.run_id for t in sweep.trials])

    def list(self, limit: int = 50, offset: int = 0) -> list[SweepRecord]:
        return self._store.list_sweeps(limit=limit, offset=offset)

    def results(self, sweep: SweepRecord) -> SweepResults:
        runs = {run.id: run for run in self._trial_runs(sweep)}
        metric = sweep.sweep.metric
        trials = [TrialResult(trial, runs.get(trial.run_id),
                              score(runs[trial.run_id], metric) if trial.run_id in runs else None)
                  for trial in sweep.trials]
        done = [t for t in trials if t.score is not None and t.run is not None
                and t.run.status == "completed"]
        sign = -1.0 if sweep.sweep.maximize else 1.0
        best = min(done, key=lambda t: sign * t.score.value) if done else None  # type: ignore[union-attr]
        return SweepResults(sweep, trials, best)

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
        for run in runs:
            if run.status not in FINAL_STATUSES:
                with contextlib.suppress(RunStateError):  # it ended meanwhile
                    self.runs.stop(run.id)
        return sweep

    def resume(self, sweep_id: str) -> SweepRecord:
        """Resume every paused or interrupted trial (a server restart interrupts the queued
        and running ones), and every one that failed because of the disk or its worker,
        from its last checkpoint."""
        sweep = self.get(sweep_id)
        for run in self._trial_runs(sweep):
            resumable = run.status in RESUMABLE_STATUSES or resumable_failure(run)
            if resumable and self.runs.owns(run):
                with contextlib.suppress(RunStateError):  # resumed meanwhile
                    self.runs.resume(run.id)
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
