"""What the executor core places and watches: the `Worker` an executor writes (one place
where a run trains) and the core's record of each submitted job."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from app.runs.executor import OnEvent
from app.runs.worker import Job
from app.spec.events import (
    FailureCause,
    FinishedEvent,
    RunStatus,
    StartedEvent,
    TrainingEvent,
)

Request = Literal["stop", "pause"]

CLEAN_ENDS = frozenset({"completed", "stopped", "paused", "diverged"})
"""A run that ended so, without losing its worker, may leave the worker to another run."""


def ended(status: RunStatus, reason: str, cause: FailureCause | None = None) -> FinishedEvent:
    """The final event of a run that ended outside its worker's training loop."""
    return FinishedEvent(status=status, epoch=0, step=0, reason=reason, cause=cause)


class WorkerLost(Exception):
    """The worker has gone without the run's final event; the message says why."""


class Worker(ABC):
    """Where runs train, one at a time: a worker process, a Ray actor, a batch job.
    Started ahead (a spare) or for a run waiting for one; the executor core decides
    which run it gets, and whether it serves another after it (`retire`)."""

    @abstractmethod
    def begin(self, job: Job, gpu: int | None) -> None:
        """Start training `job` (on GPU slot `gpu` where the executor has GPU slots).
        Raises OSError or WorkerLost if the worker cannot take it."""

    @abstractmethod
    def signal(self, request: Request) -> None:
        """Pass a request on to the run: stop, or pause (checkpoint, end as paused)."""

    @abstractmethod
    def kill(self) -> None:
        """End the worker at once (nothing if it has ended)."""

    @abstractmethod
    def receive(self, wait: float) -> list[TrainingEvent]:
        """The run's events since the last call, in order, waiting up to `wait` seconds
        for a first one. Raises WorkerLost once the worker has gone and every event it
        sent has been returned."""

    def retire(self, clean: bool, timeout: float) -> bool:
        """After the run's last event (`clean`: it ended cleanly and a default worker
        may train the next run): let the worker finish up, up to `timeout` seconds, and
        say whether it may serve another run; one that may not is ended."""
        self.kill()
        return False

    def ready(self, timeout: float | None) -> bool:
        """Wait until its start-up (imports) is done: True, or False after `timeout`
        seconds (None: no limit). Raises WorkerLost if it died meanwhile."""
        return True

    def alive(self) -> bool:
        """Whether an idle worker can still take a run."""
        return True

    def silent(self, timeout: float) -> str | None:
        """Why the worker looks frozen, if it has given no sign of life (a heartbeat)
        for over `timeout` seconds while it trains; None while it answers, or where it
        cannot tell (the executor core still watches the run's events)."""
        return None

    def close(self) -> None:
        """End an idle worker."""
        self.kill()


@dataclass(eq=False)
class Submission:
    """One submitted job, from the queue to its final event."""

    job: Job
    on_event: OnEvent
    placed_on: Worker | None = None  # None while it is queued
    gpu: int | None = None  # the GPU slot it holds while placed
    started: bool = False
    finished: bool = False
    status: str | None = None  # its FinishedEvent's
    stop_requested: bool = False
    stopped_early: bool = False  # the stop came before its StartedEvent: killed at once
    dropped: bool = False  # ended by a shutdown before it started: no event, interrupted
    awaits_worker: bool = False  # queued, placeable, waiting for a fresh worker
    heard: float = 0.0  # monotonic time of its last event (or its start on a worker)
    hung: str | None = None  # why the watchdog killed its worker, if it did
    monitor: threading.Thread | None = field(default=None, repr=False)

    @property
    def run_id(self) -> str:
        return self.job.run_id

    @property
    def worker(self) -> Worker:
        assert self.placed_on is not None, "the run is still queued"
        return self.placed_on

    def forward(self, event: TrainingEvent) -> None:
        self.started = self.started or isinstance(event, StartedEvent)
        if isinstance(event, FinishedEvent):
            self.status = event.status
            self.finished = True
        self.on_event(self.run_id, event)


@dataclass
class Plan:
    """What one pass over the queue decided, done outside the lock."""

    placed: list[Submission] = field(default_factory=list)
    fresh: list[Worker] = field(default_factory=list)  # started for waiting runs
    surplus: list[Worker] = field(default_factory=list)  # idle ones the pool does not keep
    failed: list[tuple[Submission, str]] = field(default_factory=list)
