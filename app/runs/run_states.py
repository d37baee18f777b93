"""What a run's state allows, and how it is read and named: the errors the service
raises for a run (an API 409 or 404), which failed runs resume, a run's snapshot, and the
numbers that tell default names apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.spec.events import RESUMABLE_CAUSES, BoundaryEvent, RunMetrics
from app.store.base import RunRecord


class RunStateError(Exception):
    """The run's status forbids the action (an API 409)."""


class RunNotFound(KeyError):
    """No run has this id (an API 404)."""


def resumable_failure(run: RunRecord) -> bool:
    """A run that failed for a reason outside its network (the disk, its worker): it
    resumes from its last checkpoint as an interrupted run does."""
    return run.status == "failed" and run.failure in RESUMABLE_CAUSES


def cannot_resume(run: RunRecord) -> str:
    """Why a run cannot resume (an API 409)."""
    if run.status == "failed":
        why = (f"its network or settings failed ({run.error})" if run.failure == "network"
               else f"it failed for a reason not known to be outside its network ({run.error})")
        return (f"run {run.id} cannot resume: {why}, and would fail the same way again; "
                "edit its network or settings and start a new run (only runs that failed "
                "because of the disk or their worker resume)")
    return (f"run {run.id} is {run.status}: only paused or interrupted runs, and runs that "
            "failed because of the disk or their worker, can resume")


def no_weights_yet(run: RunRecord) -> RunStateError:
    return RunStateError(f"run {run.id} is {run.status} and has no weights yet: wait for its "
                         "first checkpoint (after an epoch)")


@dataclass(frozen=True)
class RunSnapshot:
    """A run, its metrics so far and its latest boundary, read at one moment. The step
    rows are thinned to what a chart draws (app.store.summaries): `total_steps` says how
    many there are, `downsampled` whether some were left out."""

    run: RunRecord
    metrics: RunMetrics
    boundary: BoundaryEvent | None
    total_steps: int = 0
    downsampled: bool = False


SNAPSHOT_POINTS = 1000
"""The most values of each step metric a stream's snapshot sends (of a run with more than
two, fewer: 2,000 in all); the metrics endpoint has every row."""

NUMBERED = re.compile(r"(?P<base>.*) #(?P<n>[0-9]{1,9})")


def numbered_base(name: str) -> str:
    """A run name without its number: "MNIST CNN #3" -> "MNIST CNN"."""
    found = NUMBERED.fullmatch(name)
    return found["base"] if found else name
