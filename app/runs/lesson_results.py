"""How a learner's runs of a lesson's experiments came out: every claim of the lesson
checked against what the runs reported, the same way the lessons' own tests check it."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from pydantic import BaseModel, Field

from app.inspect import worked_attention, worked_convolution
from app.nn import analyze, build
from app.runs.recorder import reported_epochs, reported_losses
from app.runs.service import RunService
from app.spec import NetworkSpec
from app.spec.lesson_checks import NEAR_ZERO, NEAR_ZERO_BELOW, step_outcome
from app.spec.lessons import (
    AnyCheck,
    AttentionCheck,
    ConvolutionCheck,
    LessonSpec,
    ShapeCheck,
    apply_experiment,
    outcome,
)
from app.store.base import RunRecord
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import CheckpointError, load_latest


class CheckResult(BaseModel):
    claim: AnyCheck
    measured: float | list[int] | list[float] | None = Field(description=(
        "The run's value of the metric, read as the claim says: the last epoch's, an "
        "epoch's or its change between two (a shape claim: the layer's output shape; an "
        "attention claim: the weights the layer computed; a convolution claim: the "
        "feature map the layer computed, row after row); null while no completed (or "
        "diverged) run of the experiment is known, or when it did not report it."))
    against: float | list[int] | list[float] | None = Field(description=(
        "The bound it is compared with: the claim's value, or the other experiment's "
        "measure widened by the claim's margin."))
    holds: bool | None = Field(description="Whether the claim holds; null while unknown.")


class ExperimentResult(BaseModel):
    experiment: str
    run_id: str | None = None
    status: str | None = Field(default=None, description="The run's status.")
    as_given: bool | None = Field(default=None, description=(
        "Whether the run trained the experiment's network and settings unchanged: the "
        "claims are about those."))
    checks: list[CheckResult]


def weight_outcome(state: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """What the claims read from a model's final weights (a state dict): the share of
    its weights (tensors of 2+ dimensions) smaller than NEAR_ZERO_BELOW in size."""
    weights = [t.detach().flatten() for t in state.values()
               if t.dim() > 1 and t.is_floating_point()]
    if not weights:
        return {}
    every = torch.cat(weights)
    return {NEAR_ZERO: float((every.abs() < NEAR_ZERO_BELOW).float().mean())}


def run_outcome(runs: RunService, run: RunRecord, weights: bool = False
                ) -> dict[str, float] | None:
    """What the claims read from a run: None until it has completed or diverged. With
    `weights`, also what they read from a completed run's final checkpoint (left out if
    it cannot be read)."""
    if run.status not in ("completed", "diverged"):
        return None
    columns = runs.metrics(run.id).columns  # a lesson's runs are short: every row
    found = (outcome(reported_epochs(columns), run.test_metrics)
             | step_outcome(*reported_losses(columns)))
    if weights and run.status == "completed":
        try:
            final = load_latest(runs.run_dir(run.id) / CHECKPOINT_NAME).checkpoint
        except (FileNotFoundError, CheckpointError):
            return found
        found |= weight_outcome(final.model)
    return found


def judge_runs(runs: RunService, lesson: LessonSpec, network: NetworkSpec,
                   run_ids: Mapping[str, str]) -> list[ExperimentResult]:
    """Each experiment's claims judged on the run that trained it (experiment id -> run
    id; a run that is gone counts as none), with whether that run trained the
    experiment's network and settings as given."""
    found = {run.id: run for run in runs.existing(list(run_ids.values()))}
    records = {name: found[run_id] for name, run_id in run_ids.items() if run_id in found}
    results = judge(lesson, network, {name: run_outcome(runs, record, lesson.reads_weights)
                                      for name, record in records.items()})
    experiments = {experiment.id: experiment for experiment in lesson.experiments}
    for result in results:
        record = records.get(result.experiment)
        if record is None:
            continue
        spec, training = apply_experiment(network, lesson.training,
                                          experiments[result.experiment])
        result.run_id, result.status = record.id, record.status
        result.as_given = record.spec == spec and record.training == training
    return results


def judge(lesson: LessonSpec, network: NetworkSpec,
          outcomes: Mapping[str, Mapping[str, float] | None]) -> list[ExperimentResult]:
    """Each experiment's claims against the outcomes known (by experiment id); shape and
    attention claims are checked on the experiment's network and need no run."""
    results = []
    for experiment in lesson.experiments:
        spec = apply_experiment(network, lesson.training, experiment)[0]
        mine = outcomes.get(experiment.id)
        shapes = ({layer.id: list(layer.output_shape) for layer in analyze(spec).layers}
                  if any(isinstance(claim, ShapeCheck) for claim in experiment.checks) else {})
        checks = []
        for claim in experiment.checks:
            if isinstance(claim, ShapeCheck):
                shape = shapes.get(claim.layer)
                checks.append(CheckResult(claim=claim, measured=shape, against=claim.shape,
                                          holds=shape == claim.shape))
                continue
            if isinstance(claim, AttentionCheck):
                checks.append(_worked(claim, spec))
                continue
            if isinstance(claim, ConvolutionCheck):
                checks.append(_convolved(claim, spec))
                continue
            theirs = outcomes.get(claim.than) if claim.than else None
            other = claim.measure(theirs) if theirs else None
            measured = claim.measure(mine) if mine else None
            against = claim.value if claim.than is None else (
                None if other is None else claim.bound(other))
            holds = None if measured is None or against is None else claim.holds(measured, other)
            checks.append(CheckResult(claim=claim, measured=measured, against=against,
                                      holds=holds))
        results.append(ExperimentResult(experiment=experiment.id, checks=checks))
    return results


def _worked(claim: AttentionCheck, spec: NetworkSpec) -> CheckResult:
    """The attention example worked out by the experiment's real layer."""
    worked = worked_attention(build(spec, device="cpu"), claim.layer, claim.scores)
    return CheckResult(claim=claim, measured=worked.weights, against=claim.weights,
                       holds=worked.d_k == claim.d_k and claim.holds(worked.weights))



def _convolved(claim: ConvolutionCheck, spec: NetworkSpec) -> CheckResult:
    """The convolution example worked out by the experiment's real layer."""
    rows = worked_convolution(build(spec, device="cpu"), claim.layer, claim.image, claim.filter)
    return CheckResult(claim=claim, measured=[v for row in rows for v in row],
                       against=[v for row in claim.output for v in row], holds=claim.holds(rows))


__all__ = ["CheckResult", "ExperimentResult", "judge", "judge_runs", "run_outcome",
           "weight_outcome"]
