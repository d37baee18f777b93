"""A GAN's sample grids: what its generator made of the same fixed noise as training went
on, one file per grid in the run's folder (thinned to a bounded count), written by the
worker and read by the inspection API to scrub through."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from pydantic import BaseModel, Field
from safetensors.torch import load_file

from app.runs.artifacts import Series
from app.spec.arrays import EncodedArray
from app.spec.events import SamplesEvent, TrainingEvent

KEEP_GRIDS = 120  # grids kept per run; older ones thin out evenly, the latest stay dense
GRIDS = Series("samples", "step", 8, KEEP_GRIDS, "the sample grid of step {}")


def sampled_steps(run_dir: Path) -> list[int]:
    """Steps whose sample grid is kept, oldest first."""
    return GRIDS.kept(run_dir)


def load_grid(run_dir: Path, step: int) -> tuple[torch.Tensor, int]:
    """(samples, epoch) of the grid drawn at `step`: (N, *sample shape) float32."""
    tensors = load_file(GRIDS.path(run_dir, step))
    return tensors["samples"].float(), int(tensors["epoch"].item())


class SampleGrids:
    """The worker's sample hook: keeps each grid and announces it."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def __call__(self, samples: torch.Tensor, epoch: int, step: int) -> Iterable[TrainingEvent]:
        tensors = {"samples": samples.to(torch.float16).contiguous(),
                   "epoch": torch.tensor(epoch, dtype=torch.int64)}
        GRIDS.save(self.run_dir, step, tensors)
        return (SamplesEvent(epoch=epoch, step=step),)


class SamplesOut(BaseModel):
    """One of a GAN's sample grids, and which steps have one."""

    steps: list[int] = Field(description="Steps whose grid is kept, oldest first.")
    step: int = Field(description="The step this grid was drawn at.")
    epoch: int = Field(description="The epoch it was drawn in.")
    samples: EncodedArray = Field(description="(N, *sample shape) float16: the generator's "
                                              "output for the run's fixed noise.")
    real: EncodedArray | None = Field(default=None, description=(
        "(N, *sample shape) float16: as many real training samples, when asked for."))
