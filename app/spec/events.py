"""Events: what a training run reports. The same models cross the worker's process
queue, the store and the websocket."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.spec.views import BoundaryGrid


class _Event(BaseModel):
    # `kind` has a default, yet every message sent carries it: the answer schemas say so,
    # so that clients generated from them can tell the messages apart by it
    model_config = {"frozen": True, "json_schema_serialization_defaults_required": True}


class StartedEvent(_Event):
    """The run's worker started (or resumed) training: where, and how long it will be."""

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
    """The run saved a checkpoint (it can resume from here)."""

    kind: Literal["checkpoint"] = "checkpoint"
    epoch: int
    step: int


class NoteEvent(_Event):
    """Something the user should know about the training so far, told once: advice,
    not an error (e.g. a loss that stopped falling early, with the learning rate to try)."""

    kind: Literal["note"] = "note"
    epoch: int
    step: int
    text: str


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
FINAL_STATUSES: frozenset[RunStatus] = frozenset({"completed", "stopped", "failed", "diverged"})
"""A run in one of these has ended for good (a paused or interrupted one may go on)."""
CONTINUABLE_STATUSES: frozenset[RunStatus] = frozenset(
    {"paused", "interrupted", "stopped", "completed"})
"""A run in one of these is at rest with weights: it can be continued after an edit."""


FailureCause = Literal["network", "disk", "worker"]
"""Why a run failed: its network or settings (a shape error, out of memory: it would fail
the same way again), the disk (a write refused), or its worker (lost, or hung)."""
RESUMABLE_CAUSES: frozenset[FailureCause] = frozenset({"disk", "worker"})
"""A run that failed for one of these reasons can resume from its last checkpoint."""
RESUMABLE_STATUSES: frozenset[RunStatus] = frozenset({"paused", "interrupted"})
"""A run in one of these resumes from its last checkpoint (and a failed one whose cause
is in RESUMABLE_CAUSES)."""


class FinishedEvent(_Event):
    """The run ended: completed, stopped, paused, diverged or failed (with the reason)."""

    kind: Literal["finished"] = "finished"
    status: RunStatus
    epoch: int
    step: int
    reason: str | None = None
    cause: FailureCause | None = Field(default=None, description=(
        "Why a failed run failed: network (its network or settings: resuming would fail "
        "the same way), disk (a write was refused) or worker (its worker was lost or "
        "stopped responding); a run failed for the disk or its worker can resume."))
    metrics: dict[str, float] = Field(default_factory=dict, description="Final test metrics.")


TrainingEvent = Annotated[
    StartedEvent | MetricsEvent | EpochEvent | CheckpointEvent | NoteEvent | BoundaryEvent
    | SamplesEvent | FinishedEvent,
    Field(discriminator="kind"),
]


class StepColumns(BaseModel):
    """Per-step training metrics as columns (the shape of `MetricsEvent` blocks):
    values[name][i] is at step[i]; names are the trainer's, e.g. train_loss."""

    step: list[int]
    epoch: list[int]
    values: dict[str, list[float | None]]


class EpochColumns(BaseModel):
    """One row per finished epoch, as its `EpochEvent` reported it, as columns:
    values[name][i] is epoch[i]'s metric (val_*, lr, the epoch's train_* averages)."""

    step: list[int]
    epoch: list[int]
    seconds: list[float] = Field(description="Each epoch's training time.")
    memory_mb: list[float | None] = Field(description="The run's peak memory after each "
                                          "epoch (see EpochEvent.memory_mb).")
    values: dict[str, list[float | None]]


class RunMetrics(BaseModel):
    """A run's metrics so far, split into step rows and epoch rows."""

    steps: StepColumns
    epochs: EpochColumns

    @property
    def last_step(self) -> int:
        """The newest step either part holds; -1 when there is none."""
        return max([*self.steps.step[-1:], *self.epochs.step[-1:]], default=-1)
