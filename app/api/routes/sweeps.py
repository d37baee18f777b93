"""Sweeps: one network and settings trained many times, each trial trying other values
(a grid, a random search, or a search that learns from ended trials, with early stopping
and repeated seeds); the trials are runs, and the sweep ranks them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field, JsonValue

from app.api.deps import PresetsDep, SweepsDep
from app.api.examples import SWEEP_CREATE, examples
from app.api.routes.runs import resolve_model, resolve_training
from app.api.run_rules import check_gpu_time
from app.api.schemas import ErrorOut, PresetRef, Responses
from app.api.viewer import OptionalViewer, owner_of, owners_seen
from app.runs.sweeps import ConfigResult, SweepResults, TrialResult
from app.spec import NetworkSpec
from app.spec.events import RunStatus
from app.spec.sweep import SweepSpec
from app.spec.training import TrainingSpec

router = APIRouter(prefix="/sweeps", tags=["sweeps"])
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No sweep has this id."}}


class SweepCreate(BaseModel):
    model_config = {"extra": "forbid", "json_schema_extra": examples(SWEEP_CREATE)}
    name: str | None = Field(default=None, max_length=120,
                             description="Default: the network's name and 'sweep'.")
    model: NetworkSpec | PresetRef = Field(description="A network spec or {'preset': name}: "
                                                       "what every trial starts from.")
    training: TrainingSpec | None = Field(default=None, description=(
        "The settings every trial starts from. Required with a network spec; with a preset, "
        "laid over its own settings (default: those)."))
    sweep: SweepSpec


class TrialOut(BaseModel):
    number: int = Field(description="1 for the first trial queued.")
    run_id: str
    params: dict[str, JsonValue] = Field(description="The values this trial tries, by path.")
    status: RunStatus | Literal["deleted"]
    score: float | None = Field(description="The sweep's metric for this trial: an epoch "
                                            "metric at its best epoch, or a test metric.")
    score_epoch: int | None = Field(default=None, description=(
        "The epoch (1 for the first) the score is from; null for a test metric or no score."))
    epoch: int
    best_metrics: dict[str, float | None]
    test_metrics: dict[str, float | None]
    error: str | None
    config: int = Field(description="The configuration it tries (from 0); repeats share it.")
    repeat: int = Field(description="Which run of its configuration (seed training.seed + "
                                    "repeat).")
    pruned_at: int | None = Field(description="The epoch after which early stopping stopped "
                                              "it; null if it was not.")


class ConfigOut(BaseModel):
    """A configuration and its runs' scores (several with repeats)."""

    config: int
    params: dict[str, JsonValue]
    run_ids: list[str]
    mean: float | None = Field(description="The mean score of its completed runs.")
    std: float | None = Field(description="Their standard deviation (0 for one run).")
    scored: int = Field(description="How many of its runs have a score.")


class SweepSummaryOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    method: Literal["grid", "random", "tpe", "cmaes"]
    metric: str
    status: Literal["running", "stopped", "finished"] = Field(
        description="running while a trial is queued or running; stopped when it was "
                    "stopped before every configuration was tried.")
    counts: dict[str, int] = Field(description="Trials by their run's status.")
    best_run_id: str | None = Field(description="The best completed run of the best "
                                                "configuration.")
    best_score: float | None
    best_config: int | None = Field(description="The configuration with the best mean score.")
    best_mean: float | None


class SweepOut(SweepSummaryOut):
    spec: NetworkSpec
    training: TrainingSpec
    sweep: SweepSpec
    trials: list[TrialOut]
    configs: list[ConfigOut]


class ImportancesOut(BaseModel):
    """How much each parameter mattered to the configurations' scores."""

    importances: dict[str, float] | None = Field(description=(
        "By parameter path, summing to 1, most important first (Optuna's fANOVA); null "
        "while fewer than two configurations have a score, or none of their values vary."))
    configs: int = Field(description="The configurations with a score it read.")


class SweepListOut(BaseModel):
    sweeps: list[SweepSummaryOut]
    limit: int
    offset: int


def _summary(results: SweepResults) -> SweepSummaryOut:
    sweep, best, config = results.sweep, results.best, results.best_config
    return SweepSummaryOut(id=sweep.id, name=sweep.name, created_at=sweep.created_at,
                           method=sweep.sweep.method, metric=sweep.sweep.metric,
                           status=results.status, counts=results.counts,
                           best_run_id=best.trial.run_id if best else None,
                           best_score=best.score.value if best and best.score else None,
                           best_config=config.config if config else None,
                           best_mean=config.mean if config else None)


def _config(result: ConfigResult) -> ConfigOut:
    return ConfigOut(config=result.config, params=result.params,
                     run_ids=[t.trial.run_id for t in result.trials], mean=result.mean,
                     std=result.std, scored=result.scored)


def _trial(number: int, result: TrialResult) -> TrialOut:
    run = result.run
    return TrialOut(number=number, run_id=result.trial.run_id, params=result.trial.params,
                    status=run.status if run else "deleted",
                    score=result.score.value if result.score else None,
                    score_epoch=result.score.epoch if result.score else None,
                    epoch=run.epoch if run else 0,
                    best_metrics=dict(run.best_metrics) if run else {},
                    test_metrics=dict(run.test_metrics) if run else {},
                    error=run.error if run else None, config=result.trial.config,
                    repeat=result.trial.repeat, pruned_at=result.trial.pruned_at)


def _out(results: SweepResults) -> SweepOut:
    sweep = results.sweep
    return SweepOut(**_summary(results).model_dump(), spec=sweep.spec,
                    training=sweep.training, sweep=sweep.sweep,
                    trials=[_trial(n, r) for n, r in enumerate(results.trials, start=1)],
                    configs=[_config(c) for c in results.configs])


@router.post("", status_code=status.HTTP_201_CREATED, responses={422: {
    "model": ErrorOut, "description": "The sweep, or one of its trials, does not fit."}})
def create_sweep(body: SweepCreate, sweeps: SweepsDep, presets: PresetsDep,
                 request: Request, viewer: OptionalViewer) -> SweepOut:
    """Check every trial (the network and settings with its values; for a search, every
    listed value and both ends of every range), then queue runs through the executor: all
    of a grid's or random search's, as many of a search's as train at once (it asks for
    the next as each ends); nothing is queued when one trial does not fit."""
    spec = resolve_model(body.model, presets)
    training = resolve_training(body.model, body.training, presets)
    check_gpu_time(request, viewer)
    sweep = sweeps.create(spec, training, body.sweep, body.name, owner=owner_of(viewer))
    return _out(sweeps.results(sweep))


@router.get("")
def list_sweeps(sweeps: SweepsDep, request: Request, viewer: OptionalViewer,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> SweepListOut:
    """Sweeps, newest first, each with its trials' counts and its best run (on a server
    with accounts: the user's own, and a teacher's students')."""
    found = [sweeps.results(sweep) for sweep in sweeps.list(
        limit=limit, offset=offset, owners=owners_seen(request, viewer))]
    return SweepListOut(sweeps=[_summary(r) for r in found], limit=limit, offset=offset)


@router.get("/{sweep_id}", responses=NOT_FOUND)
def get_sweep(sweep_id: str, sweeps: SweepsDep) -> SweepOut:
    """The sweep and its results: each trial's values, status and score, and the best."""
    return _out(sweeps.results(sweeps.get(sweep_id)))


@router.get("/{sweep_id}/importances", responses=NOT_FOUND)
def sweep_importances(sweep_id: str, sweeps: SweepsDep) -> ImportancesOut:
    """Which parameters mattered: each one's share of the variance of the configurations'
    mean scores (Optuna's fANOVA evaluator, seeded with the sweep's seed)."""
    sweep = sweeps.get(sweep_id)
    scored = sum(1 for c in sweeps.results(sweep).configs if c.mean is not None)
    return ImportancesOut(importances=sweeps.importances(sweep), configs=scored)


@router.post("/{sweep_id}/stop", status_code=202, responses={**NOT_FOUND, 409: {
    "model": ErrorOut, "description": "Another server trains some of its trials."}})
def stop_sweep(sweep_id: str, sweeps: SweepsDep) -> SweepOut:
    """Stop every trial that has not ended."""
    return _out(sweeps.results(sweeps.stop(sweep_id)))


@router.post("/{sweep_id}/resume", status_code=202, responses=NOT_FOUND)
def resume_sweep(sweep_id: str, sweeps: SweepsDep, request: Request,
                 viewer: OptionalViewer) -> SweepOut:
    """Resume every paused or interrupted trial (a server restart interrupts the queued
    and running ones), and every one that failed because of the disk or its worker, from
    its last checkpoint."""
    check_gpu_time(request, viewer)
    return _out(sweeps.results(sweeps.resume(sweep_id)))


@router.delete("/{sweep_id}", status_code=status.HTTP_204_NO_CONTENT, responses={
    **NOT_FOUND, 409: {"model": ErrorOut, "description": "A trial is queued or running."}})
def delete_sweep(sweep_id: str, sweeps: SweepsDep) -> Response:
    """Remove the sweep and its trials' runs (stop it first)."""
    sweeps.delete(sweep_id)
    return Response(status_code=204)
