"""Bounds on what a spec may ask for, checked before anything is allocated."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from pydantic import BaseModel, Field

from app.spec.errors import SpecIssue

# A training batch's activations may take this share of a worker's memory (of the
# machine's without a worker limit): the rest holds the weights, their gradients, the
# optimizer's state, the dataset and PyTorch itself.
BATCH_MEMORY_SHARE = 0.5


def machine_memory_mb() -> float:
    """This machine's physical memory, in MiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def batch_memory_bound_mb(worker_memory_mb: float | None = None) -> float:
    """The default bound on a training batch's activations: a share of the worker's
    memory when it is capped, else of the machine's."""
    return BATCH_MEMORY_SHARE * (worker_memory_mb or machine_memory_mb())


class SpecLimits(BaseModel):
    """Global bounds; the server reads them from settings (LAYERLAB_LIMITS__...)."""

    max_layers: int = Field(default=256, ge=1, le=1024, description="Layers per network.")
    max_params: int = Field(default=50_000_000, ge=1, description="Parameters per network.")
    max_activation_mb: float = Field(
        default=512.0, gt=0, description="Estimated activation memory per sample, in MiB."
    )
    max_batch_activation_mb: float | None = Field(
        default=None, gt=0,
        description="Estimated activation memory of one training batch (the per-sample "
                    "estimate, attention's score matrices included, times batch_size), in "
                    f"MiB. Default: {BATCH_MEMORY_SHARE:.0%} of worker_memory_mb when set, "
                    "else of the machine's physical memory."
    )
    max_input_elements: int = Field(
        default=4_194_304, ge=1, description="Values in one input sample."
    )

    def batch_bound_mb(self) -> float:
        """The bound on a training batch's activations, in MiB."""
        return self.max_batch_activation_mb or batch_memory_bound_mb()

    def structure_issues(self, input_shape: Sequence[int], n_layers: int) -> list[SpecIssue]:
        issues = []
        if n_layers > self.max_layers:
            issues.append(SpecIssue(f"{n_layers} layers is over the limit of {self.max_layers}",
                                    None, "layers"))
        elements = math.prod(input_shape)
        if elements > self.max_input_elements:
            issues.append(SpecIssue(f"an input of {elements:,} values is over the limit of "
                                    f"{self.max_input_elements:,}", None, "input.shape"))
        return issues
