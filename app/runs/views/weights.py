"""Views of the network's weights and of what the run recorded as it trained: the
convolution kernels, the weight and gradient histograms of every epoch, a GAN's sample
grids."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.inspect import FiltersOut, InspectError, encode, filters
from app.inspect.filters import MAX_FILTERS
from app.inspect.histograms import EpochHistograms
from app.runs.artifacts import read_histograms
from app.runs.facts import RunFacts
from app.runs.gan_samples import SamplesOut, load_grid, sampled_steps
from app.runs.inspection import task_kind_of
from app.runs.service import RunStateError
from app.runs.views.registry import AtEpoch, Look, view


class FiltersIn(AtEpoch):
    layers: str | None = Field(default=None, max_length=4000, description=(
        "Comma-separated layer ids; default: every layer."))
    max_filters: int = Field(default=64, ge=1, le=MAX_FILTERS)


def _convolutions(facts: RunFacts) -> bool:
    return any(layer_type.startswith("conv") for layer_type in facts.layer_types)


@view("filters", "Filters", applies=_convolutions)
def _filters(look: Look, params: FiltersIn) -> FiltersOut:
    """Convolution kernels; a first layer's RGB kernels also as a colour PNG grid."""
    layers = [v for v in params.layers.split(",") if v] if params.layers else None
    return filters(look.subject.model, layers, params.max_filters)


class HistogramsIn(BaseModel):
    model_config = {"extra": "forbid"}
    max_epochs: int = Field(default=100, ge=2, le=1000, description=(
        "At most this many epochs, spread evenly (the first and the last always)."))


class HistogramsOut(BaseModel):
    epochs: list[EpochHistograms]
    cut: str | None = None


@view("histograms", "Histograms")
def _histograms(look: Look, params: HistogramsIn) -> HistogramsOut:
    """Weight and gradient histograms per parameter, recorded at every epoch's end."""
    recorded, most = read_histograms(look.run_dir), params.max_epochs
    if len(recorded) <= most:
        return HistogramsOut(epochs=recorded)
    picks = sorted({round(i * (len(recorded) - 1) / (most - 1)) for i in range(most)})
    return HistogramsOut(epochs=[recorded[i] for i in picks],
                         cut=f"{len(picks)} of {len(recorded)} epochs, spread evenly")


class SamplesIn(BaseModel):
    model_config = {"extra": "forbid"}
    step: int | None = Field(default=None, ge=0, le=10**9, description=(
        "The grid drawn at this step (see `steps`); default: the latest."))
    real: bool = Field(default=False, description=(
        "Also send as many real training samples, to compare."))


@view("samples", "Samples", own=True)
def _samples(look: Look, params: SamplesIn) -> SamplesOut:
    """A GAN's samples from its fixed noise at one step, and the steps that have a grid."""
    run, run_dir = look.run, look.run_dir
    steps = sampled_steps(run_dir)
    if not steps:
        kind = task_kind_of(run)
        if "samples" not in kind.views:
            raise InspectError(f"samples are drawn by a gan; run {run.id} trains a {kind.name}")
        raise RunStateError(f"run {run.id} is {run.status} and has drawn no samples yet")
    step = steps[-1] if params.step is None else params.step
    if step not in steps:
        near = min(steps, key=lambda s: abs(s - step))
        raise InspectError(f"step: no samples kept for step {step} (nearest: {near}; "
                           f"{len(steps)} grids from {steps[0]} to {steps[-1]})")
    try:
        grid, epoch = load_grid(run_dir, step)
    except FileNotFoundError:  # thinned out since it was listed
        raise InspectError(f"step: the samples of step {step} are no longer kept") from None
    reals = look.cache.samples(run, "train")[0][:len(grid)] if params.real else None
    return SamplesOut(steps=steps, step=step, epoch=epoch, samples=encode(grid),
                      real=None if reals is None else encode(reals))
