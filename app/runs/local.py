"""Train in this process, the way a worker does: scripts, tests and benchmarks use it."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path

import torch

from app.datasets.base import DatasetError
from app.spec import NetworkSpec, SpecError, SpecLimits
from app.spec.events import FinishedEvent
from app.spec.training import TrainingSpec
from app.train import Control, Emit, EpochHook, TaskError, train_network

EXPECTED_ERRORS = (SpecError, DatasetError, TaskError, ValueError)


def run_local(spec: NetworkSpec, training: TrainingSpec, on_event: Emit, *,
              checkpoint_dir: Path | None = None, control: Control | None = None,
              resume: Path | None = None, limits: SpecLimits | None = None,
              hooks: Sequence[EpochHook] = ()) -> FinishedEvent:
    """Train and report every event to `on_event`. Never raises for a failed run: the
    final event says `failed` with the reason (bad input names its cause; anything
    else carries the exception)."""
    try:
        return train_network(spec, training, on_event, checkpoint_dir=checkpoint_dir,
                             control=control, resume=resume, limits=limits, hooks=hooks)
    except EXPECTED_ERRORS as exc:
        event = FinishedEvent(status="failed", epoch=0, step=0, reason=str(exc))
    except (MemoryError, torch.cuda.OutOfMemoryError):
        event = FinishedEvent(status="failed", epoch=0, step=0,
                              reason="out of memory: use a smaller batch size or network")
    except Exception as exc:
        last = traceback.format_exception_only(exc)[-1].strip()
        event = FinishedEvent(status="failed", epoch=0, step=0, reason=f"internal error: {last}")
    on_event(event)
    return event
