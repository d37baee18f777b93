"""Train in this process, the way a worker does: scripts, tests and benchmarks use it."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path

from app.datasets.base import DatasetError
from app.spec import NetworkSpec, SpecError, SpecLimits
from app.spec.events import FailureCause, FinishedEvent
from app.spec.training import TrainingSpec
from app.train import (
    Control,
    DiskWriteError,
    Emit,
    EpochHook,
    SampleHook,
    Start,
    TaskError,
    train_network,
)
from app.train.devices import out_of_memory
from app.train.disk import disk_full, write_refused

EXPECTED_ERRORS = (SpecError, DatasetError, TaskError, ValueError)
OUT_OF_MEMORY = "out of memory: use a smaller batch size or network"


def run_local(spec: NetworkSpec, training: TrainingSpec, on_event: Emit, *,
              checkpoint_dir: Path | None = None, control: Control | None = None,
              resume: Path | None = None, limits: SpecLimits | None = None,
              hooks: Sequence[EpochHook] = (), start: Start | None = None,
              sample_hook: SampleHook | None = None) -> FinishedEvent:
    """Train and report every event to `on_event`. Never raises for a failed run: the
    final event says `failed` with the reason (bad input names its cause; anything
    else carries the exception) and the cause: the disk for a write it refused (the
    run can resume), the network for bad input or memory it cannot have."""
    try:
        return train_network(spec, training, on_event, checkpoint_dir=checkpoint_dir,
                             control=control, resume=resume, limits=limits, hooks=hooks,
                             start=start, sample_hook=sample_hook)
    except Exception as exc:
        reason, cause = failure(exc)
        event = FinishedEvent(status="failed", epoch=0, step=0, reason=reason, cause=cause)
    on_event(event)
    return event


def failure(exc: Exception) -> tuple[str, FailureCause | None]:
    """Why a run failed with `exc`, and the cause (None: unknown, an internal error)."""
    if isinstance(exc, DiskWriteError):
        return str(exc), "disk"
    if disk_full(exc):
        assert isinstance(exc, OSError)
        return write_refused(exc, "a file of the run"), "disk"
    if isinstance(exc, EXPECTED_ERRORS):
        return str(exc), "network"
    if out_of_memory(exc):
        return OUT_OF_MEMORY, "network"
    return f"internal error: {traceback.format_exception_only(exc)[-1].strip()}", None
