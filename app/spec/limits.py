"""Bounds on what a spec may ask for, checked before anything is allocated."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

from app.spec.errors import SpecIssue


class SpecLimits(BaseModel):
    """Global bounds; the server reads them from settings (LAYERLAB_LIMITS__...)."""

    max_layers: int = Field(default=256, ge=1, le=1024, description="Layers per network.")
    max_params: int = Field(default=50_000_000, ge=1, description="Parameters per network.")
    max_activation_mb: float = Field(
        default=512.0, gt=0, description="Estimated activation memory per sample, in MiB."
    )
    max_input_elements: int = Field(
        default=4_194_304, ge=1, description="Values in one input sample."
    )

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
