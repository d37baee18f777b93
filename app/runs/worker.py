"""The worker process: a thin shell around run_local that sends events to the server."""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventFlag
from pathlib import Path
from typing import Any

from app.runs.local import run_local
from app.spec import NetworkSpec, SpecLimits
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME, Control


@dataclass(frozen=True)
class Job:
    """Everything a worker needs; pickled across the process boundary."""

    run_id: str
    spec: NetworkSpec
    training: TrainingSpec
    run_dir: Path
    resume: bool = False
    limits: SpecLimits | None = None

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME


class FlagControl(Control):
    """Stop and pause requests as two multiprocessing events (a cheap check)."""

    def __init__(self, stop: EventFlag, pause: EventFlag) -> None:
        self.stop, self.pause = stop, pause

    def requested(self) -> Any:
        if self.stop.is_set():
            return "stop"
        return "pause" if self.pause.is_set() else None


def worker_main(job: Job, events: Any, stop: EventFlag, pause: EventFlag) -> None:
    """Process entry point: train, putting each event on the `events` queue."""
    job.run_dir.mkdir(parents=True, exist_ok=True)
    resume = job.checkpoint if job.resume and job.checkpoint.exists() else None
    run_local(job.spec, job.training, events.put, checkpoint_dir=job.run_dir,
              control=FlagControl(stop, pause), resume=resume, limits=job.limits)
