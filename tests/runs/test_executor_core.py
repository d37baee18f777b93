"""The executor core's queue with workers that live in memory: which run a worker that
dies while starting up fails."""

from __future__ import annotations

import threading
from pathlib import Path

from app.runs.executor_core import ExecutorCore
from app.runs.gpus import GpuSlots
from app.runs.placement import Request, Worker, WorkerLost
from app.runs.worker import Job
from app.spec.events import FinishedEvent, TrainingEvent
from tests.runs.conftest import TOY_NET, toy_training


class Busy(Worker):
    """Takes a run and trains it until it is killed."""

    def __init__(self) -> None:
        self.killed = threading.Event()

    def begin(self, job: Job, gpu: int | None) -> None:
        pass

    def signal(self, request: Request) -> None:
        self.killed.set()

    def kill(self) -> None:
        self.killed.set()

    def receive(self, wait: float) -> list[TrainingEvent]:
        if self.killed.wait(wait):
            raise WorkerLost("killed")
        return []


class DiesStarting(Busy):
    def ready(self, timeout: float | None) -> bool:
        raise WorkerLost("it died starting")


class OneSpare(ExecutorCore):
    """One GPU; the spare started ahead works, every later worker dies starting."""

    def __init__(self) -> None:
        self.started = 0
        super().__init__(max_concurrent=3, stop_timeout=1.0, spares=1,
                         gpu_slots=GpuSlots(1))

    def start_worker(self, job: Job | None) -> Worker:
        self.started += 1
        return Busy() if self.started == 1 else DiesStarting()


def _job(tmp_path: Path, run_id: str, device: str) -> Job:
    return Job(run_id=run_id, spec=TOY_NET, training=toy_training(device=device),
               run_dir=tmp_path / run_id)


def test_a_worker_that_dies_starting_fails_the_run_it_was_started_for(
        tmp_path: Path) -> None:
    """The run waiting for the GPU was never waiting for that worker: it stays queued."""
    ended: dict[str, FinishedEvent] = {}
    done = threading.Event()

    def on_event(run_id: str, event: TrainingEvent) -> None:
        if isinstance(event, FinishedEvent):
            ended[run_id] = event
            done.set()

    executor = OneSpare()
    try:
        executor.submit(_job(tmp_path, "gpu-1", "cuda"), on_event)  # takes the spare
        executor.submit(_job(tmp_path, "gpu-2", "cuda"), on_event)  # waits for the GPU
        executor.submit(_job(tmp_path, "cpu", "cpu"), on_event)  # waits for a fresh worker
        assert done.wait(10)
        assert list(ended) == ["cpu"], ended
        assert "died starting" in (ended["cpu"].reason or "")
        assert "gpu-2" in executor.active()
    finally:
        executor.shutdown()
