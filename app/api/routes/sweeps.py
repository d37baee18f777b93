"""Sweeps: one network and settings trained many times, each trial trying other values
(a grid or a random search); the trials are runs, and the sweep ranks them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, JsonValue

from app.api.deps import PresetsDep, SweepsDep
from app.api.examples import SWEEP_CREATE, examples
from app.api.routes.runs import resolve_model, resolve_training
from app.api.schemas import ErrorOut, PresetRef, Responses
from app.runs.sweeps import SweepResults, TrialResult
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


class SweepSummaryOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    method: Literal["grid", "random"]
    metric: str
    status: Literal["running", "finished"] = Field(
        description="running while a trial is queued or running.")
    counts: dict[str, int] = Field(description="Trials by their run's status.")
    best_run_id: str | None = Field(description="The completed trial with the best score.")
    best_score: float | None


class SweepOut(SweepSummaryOut):
    spec: NetworkSpec
    training: TrainingSpec
    sweep: SweepSpec
    trials: list[TrialOut]


class SweepListOut(BaseModel):
    sweeps: list[SweepSummaryOut]
    limit: int
    offset: int


def _summary(results: SweepResults) -> SweepSummaryOut:
    sweep, best = results.sweep, results.best
    return SweepSummaryOut(id=sweep.id, name=sweep.name, created_at=sweep.created_at,
                           method=sweep.sweep.method, metric=sweep.sweep.metric,
                           status=results.status, counts=results.counts,
                           best_run_id=best.trial.run_id if best else None,
                           best_score=best.score.value if best and best.score else None)


def _trial(number: int, result: TrialResult) -> TrialOut:
    run = result.run
    return TrialOut(number=number, run_id=result.trial.run_id, params=result.trial.params,
                    status=run.status if run else "deleted",
                    score=result.score.value if result.score else None,
                    score_epoch=result.score.epoch if result.score else None,
                    epoch=run.epoch if run else 0,
                    best_metrics=dict(run.best_metrics) if run else {},
                    test_metrics=dict(run.test_metrics) if run else {},
                    error=run.error if run else None)


def _out(results: SweepResults) -> SweepOut:
    sweep = results.sweep
    return SweepOut(**_summary(results).model_dump(), spec=sweep.spec,
                    training=sweep.training, sweep=sweep.sweep,
                    trials=[_trial(n, r) for n, r in enumerate(results.trials, start=1)])


@router.post("", status_code=status.HTTP_201_CREATED, responses={422: {
    "model": ErrorOut, "description": "The sweep, or one of its trials, does not fit."}})
def create_sweep(body: SweepCreate, sweeps: SweepsDep, presets: PresetsDep) -> SweepOut:
    """Check every trial (the network and settings with its values), then queue a run for
    each through the executor; nothing is queued when one trial does not fit."""
    spec = resolve_model(body.model, presets)
    training = resolve_training(body.model, body.training, presets)
    sweep = sweeps.create(spec, training, body.sweep, body.name)
    return _out(sweeps.results(sweep))


@router.get("")
def list_sweeps(sweeps: SweepsDep, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> SweepListOut:
    """Sweeps, newest first, each with its trials' counts and its best run."""
    found = [sweeps.results(sweep) for sweep in sweeps.list(limit=limit, offset=offset)]
    return SweepListOut(sweeps=[_summary(r) for r in found], limit=limit, offset=offset)


@router.get("/{sweep_id}", responses=NOT_FOUND)
def get_sweep(sweep_id: str, sweeps: SweepsDep) -> SweepOut:
    """The sweep and its results: each trial's values, status and score, and the best."""
    return _out(sweeps.results(sweeps.get(sweep_id)))


@router.post("/{sweep_id}/stop", status_code=202, responses={**NOT_FOUND, 409: {
    "model": ErrorOut, "description": "Another server trains some of its trials."}})
def stop_sweep(sweep_id: str, sweeps: SweepsDep) -> SweepOut:
    """Stop every trial that has not ended."""
    return _out(sweeps.results(sweeps.stop(sweep_id)))


@router.post("/{sweep_id}/resume", status_code=202, responses=NOT_FOUND)
def resume_sweep(sweep_id: str, sweeps: SweepsDep) -> SweepOut:
    """Resume every paused or interrupted trial (a server restart interrupts the queued
    and running ones), and every one that failed because of the disk or its worker, from
    its last checkpoint."""
    return _out(sweeps.results(sweeps.resume(sweep_id)))


@router.delete("/{sweep_id}", status_code=status.HTTP_204_NO_CONTENT, responses={
    **NOT_FOUND, 409: {"model": ErrorOut, "description": "A trial is queued or running."}})
def delete_sweep(sweep_id: str, sweeps: SweepsDep) -> Response:
    """Remove the sweep and its trials' runs (stop it first)."""
    sweeps.delete(sweep_id)
    return Response(status_code=204)
