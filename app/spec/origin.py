"""Where a run's first weights came from: another run (transfer learning) or the run it
continues after an edit (pause, change the network or settings, go on)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from app.spec.base import SpecModel


class InitFrom(SpecModel):
    """Start from another run's weights, or an imported network's: every layer whose id
    and shapes match. Name one of `run_id` and `import_id`."""

    run_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$",
                               description="The run to take weights from.")
    import_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$",
                                  description="The imported network (POST /imports/onnx) "
                                              "to take weights from.")
    epoch: int | None = Field(
        default=None, ge=0,
        description="The run's weights at the end of this epoch (see /inspect/epochs); "
                    "default: its latest checkpoint.")

    @model_validator(mode="after")
    def _one_source(self) -> InitFrom:
        if (self.run_id is None) == (self.import_id is None):
            raise ValueError("name one of run_id and import_id")
        if self.import_id is not None and self.epoch is not None:
            raise ValueError("epoch picks a run's checkpoint; an imported network has one "
                             "set of weights")
        return self


class SkippedLayer(SpecModel):
    layer: str
    reason: str


class RunOrigin(SpecModel):
    """What a run was started from and which layers it took."""

    kind: Literal["transfer", "edit", "import"] = Field(
        description="transfer: weights from another run; edit: continues its parent "
                    "after a change, steps and epochs going on from `step`/`epoch`; "
                    "import: weights from an imported network.")
    run_id: str = Field(description="The source run, or for an import the imported "
                                    "network's id.")
    epoch: int | None = Field(default=None, description="The source epoch, if not the latest.")
    step: int = Field(default=0, description="The parent's step where an edit continues.")
    start_epoch: int = Field(default=0, description="The epoch an edit continues at.")
    loaded: list[str] = Field(default_factory=list, description="Layers whose weights were "
                              "taken (frozen ones included).")
    skipped: list[SkippedLayer] = Field(default_factory=list,
                                        description="Layers that start fresh, and why.")
