"""The executor contract the runs service relies on: an executor places jobs somewhere
(worker processes on this machine in app.runs.process_executor, Ray actors in
app.runs.ray_executor) and reports each job's events, ending with a FinishedEvent
whatever happens to it. Both are built on app.runs.executor_core, which holds the
queue, stops, pauses and the warm pool once; a new executor writes only how it places
work and how it watches it (see that module)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from app.runs.worker import Job
from app.spec.events import TrainingEvent

OnEvent = Callable[[str, TrainingEvent], None]


class Executor(ABC):
    """Runs jobs and calls on_event(run_id, event) for each event, ending with a
    FinishedEvent for every submitted job, whatever happens to its process."""

    @abstractmethod
    def submit(self, job: Job, on_event: OnEvent) -> None: ...

    @abstractmethod
    def stop(self, run_id: str) -> bool:
        """Ask a run to stop (cooperatively, killed after a timeout). False if unknown."""

    @abstractmethod
    def pause(self, run_id: str) -> bool:
        """Ask a running run to checkpoint and end as paused. False if not running."""

    @abstractmethod
    def active(self) -> set[str]:
        """Ids of queued and running jobs."""

    @abstractmethod
    def queue_position(self, run_id: str) -> int | None:
        """Where a queued run stands in the order runs are placed (1: placed next); None
        once it is placed or ended, or if unknown."""

    @abstractmethod
    def shutdown(self) -> set[str]:
        """End everything; return the ids of jobs that did not finish (interrupted)."""
