"""A GAN's sample grids: what its generator made of the same fixed noise as training went
on, one file per grid in the run's folder (thinned to a bounded count), written by the
worker and read by the inspection API to scrub through."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

import torch
from pydantic import BaseModel, Field
from safetensors.torch import load_file, save_file

from app.runs.artifacts import thin
from app.spec.arrays import EncodedArray
from app.spec.events import SamplesEvent, TrainingEvent

SAMPLES_DIR = "samples"
KEEP_GRIDS = 120  # grids kept per run; older ones thin out evenly, the latest stay dense
log = logging.getLogger(__name__)
_GRID = re.compile(r"step-(\d{8})\.safetensors")


def grid_path(run_dir: Path, step: int) -> Path:
    return run_dir / SAMPLES_DIR / f"step-{step:08d}.safetensors"


def sampled_steps(run_dir: Path) -> list[int]:
    """Steps whose sample grid is kept, oldest first."""
    folder = run_dir / SAMPLES_DIR
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _GRID.fullmatch(p.name)))


def load_grid(run_dir: Path, step: int) -> tuple[torch.Tensor, int]:
    """(samples, epoch) of the grid drawn at `step`: (N, *sample shape) float32."""
    tensors = load_file(grid_path(run_dir, step))
    return tensors["samples"].float(), int(tensors["epoch"].item())


class SampleGrids:
    """The worker's sample hook: keeps each grid (atomically) and announces it."""

    def __init__(self, run_dir: Path, keep: int = KEEP_GRIDS) -> None:
        self.run_dir, self.keep = run_dir, keep

    def __call__(self, samples: torch.Tensor, epoch: int, step: int) -> Iterable[TrainingEvent]:
        path = grid_path(self.run_dir, step)
        temporary = path.with_suffix(".tmp")
        tensors = {"samples": samples.to(torch.float16).contiguous(),
                   "epoch": torch.tensor(epoch, dtype=torch.int64)}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_file(tensors, temporary)
            os.replace(temporary, path)
        except OSError as exc:  # a full disk: training goes on; the checkpoint decides
            temporary.unlink(missing_ok=True)
            log.warning("could not keep the samples of step %d: %s", step, exc)
            return ()
        for old in thin(sampled_steps(self.run_dir), self.keep):
            grid_path(self.run_dir, old).unlink(missing_ok=True)
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
