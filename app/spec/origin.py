"""Where a run's first weights came from: another run (transfer learning) or the run it
continues after an edit (pause, change the network or settings, go on)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.spec.base import SpecModel


class InitFrom(SpecModel):
    """Start from another run's weights: every layer whose id and shapes match."""

    run_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="The run to take weights from.")
    epoch: int | None = Field(
        default=None, ge=0,
        description="Its weights at the end of this epoch (see /inspect/epochs); "
                    "default: its latest checkpoint.")


class SkippedLayer(SpecModel):
    layer: str
    reason: str


class RunOrigin(SpecModel):
    """What a run was started from and which layers it took."""

    kind: Literal["transfer", "edit"] = Field(
        description="transfer: weights from another run; edit: continues its parent "
                    "after a change, steps and epochs going on from `step`/`epoch`.")
    run_id: str
    epoch: int | None = Field(default=None, description="The source epoch, if not the latest.")
    step: int = Field(default=0, description="The parent's step where an edit continues.")
    start_epoch: int = Field(default=0, description="The epoch an edit continues at.")
    loaded: list[str] = Field(default_factory=list, description="Layers whose weights were "
                              "taken (frozen ones included).")
    skipped: list[SkippedLayer] = Field(default_factory=list,
                                        description="Layers that start fresh, and why.")
