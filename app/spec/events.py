"""Events: what a training run reports. The same models cross the worker's process
queue, the store and the websocket."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.spec.views import BoundaryGrid


class _Event(BaseModel):
    model_config = {"frozen": True}


class StartedEvent(_Event):
    kind: Literal["started"] = "started"
    device: str
    epochs: int
    steps_per_epoch: int
    params: int
    train_samples: int
    val_samples: int
    start_epoch: int = Field(default=0, description="> 0 when resumed from a checkpoint.")
    notice: str | None = Field(default=None, description="Something the user should know "
                               "about the start, e.g. a damaged checkpoint passed over.")


class MetricsEvent(_Event):
    """Training metrics for a batch of steps, columnar: values[name][i] is at step[i]."""

    kind: Literal["metrics"] = "metrics"
    step: list[int]
    epoch: list[int]
    values: dict[str, list[float]]
    at: float = Field(default=0.0, description="Wall-clock time of the report (Unix seconds).")

    def same_values(self, other: MetricsEvent) -> bool:
        """Equal apart from when it was reported."""
        return self.model_dump(exclude={"at"}) == other.model_dump(exclude={"at"})


class EpochEvent(_Event):
    """End of an epoch: averaged training metrics and validation metrics."""

    kind: Literal["epoch"] = "epoch"
    epoch: int
    step: int
    metrics: dict[str, float]
    seconds: float
    memory_mb: float | None = Field(default=None, description=(
        "The run's peak memory so far, in MB (2^20 bytes): on CUDA the most its tensors "
        "held at once since training started (torch.cuda.max_memory_allocated), on the "
        "CPU the worker process's peak resident set size (Python and PyTorch included); "
        "null on other devices."))


class CheckpointEvent(_Event):
    kind: Literal["checkpoint"] = "checkpoint"
    epoch: int
    step: int


class BoundaryEvent(_Event):
    """A 2-D model's decision boundary, sent now and then while it trains."""

    kind: Literal["boundary"] = "boundary"
    epoch: int
    step: int
    boundary: BoundaryGrid


class SamplesEvent(_Event):
    """A GAN drew its sample grid from the fixed noise (fetch it from /inspect/samples)."""

    kind: Literal["samples"] = "samples"
    epoch: int
    step: int


RunStatus = Literal[
    "queued", "running", "paused", "completed", "stopped", "failed", "diverged", "interrupted"
]
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "stopped", "failed", "diverged"})


class FinishedEvent(_Event):
    """The run ended: completed, stopped, paused, diverged or failed (with the reason)."""

    kind: Literal["finished"] = "finished"
    status: RunStatus
    epoch: int
    step: int
    reason: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict, description="Final test metrics.")


TrainingEvent = Annotated[
    StartedEvent | MetricsEvent | EpochEvent | CheckpointEvent | BoundaryEvent | SamplesEvent
    | FinishedEvent,
    Field(discriminator="kind"),
]
