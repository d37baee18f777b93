"""The executor core's fair queue: owners take turns, `per_user` holds back an owner's
extra runs, and `queue_position` tells the order, with workers that live in memory (as
in test_executor_core) so the test decides when each run ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.runs.executor_core import ExecutorCore
from app.runs.placement import Request, Worker, WorkerLost, ended
from app.runs.worker import Job
from app.spec.events import TrainingEvent
from tests.runs.conftest import TOY_NET, toy_training

TIMEOUT = 10.0  # seconds a test waits for a placement before it fails


class Held(Worker):
    """Trains its run until the test finishes it (or the executor kills it)."""

    def __init__(self, begun: threading.Condition) -> None:
        self.begun = begun  # notified once the run's monitor has begun it
        self.started = False
        self.over = threading.Event()
        self.killed = False

    def begin(self, job: Job, gpu: int | None) -> None:
        with self.begun:
            self.started = True
            self.begun.notify_all()

    def signal(self, request: Request) -> None:
        self.kill()

    def kill(self) -> None:
        self.killed = True
        self.over.set()

    def finish(self) -> None:
        self.over.set()

    def receive(self, wait: float) -> list[TrainingEvent]:
        if not self.over.wait(wait):
            return []
        if self.killed:
            raise WorkerLost("killed")
        return [ended("completed", "finished by the test")]


class Recording(ExecutorCore):
    """Every run gets a worker of its own, started (so placed) in the order the core
    places the runs; `placed` lists their ids in that order. `wait_placed` also waits
    until each placed run's monitor has begun it, so a shutdown can join every monitor."""

    def __init__(self, max_concurrent: int, per_user: int | None = None) -> None:
        self.placed: list[str] = []
        self.workers: dict[str, Held] = {}
        self._changed = threading.Condition()
        super().__init__(max_concurrent, stop_timeout=1.0, per_user=per_user)

    def poolable(self, job: Job) -> bool:
        return False

    def start_worker(self, job: Job | None) -> Worker:
        assert job is not None, "no pool: every worker is started for its job"
        worker = Held(self._changed)
        with self._changed:
            self.workers[job.run_id] = worker
            self.placed.append(job.run_id)
            self._changed.notify_all()
        return worker

    def wait_placed(self, count: int) -> list[str]:
        """The ids placed so far, once there are `count` of them."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.placed) >= count and all(
                worker.started for worker in self.workers.values()), TIMEOUT), (
                f"only {self.placed} placed, waited for {count}")
            return list(self.placed)

    def finish(self, run_id: str) -> None:
        with self._changed:
            worker = self.workers[run_id]
        worker.finish()


def _ignore(run_id: str, event: TrainingEvent) -> None:
    pass


@pytest.fixture
def submit(tmp_path: Path) -> Iterator[SubmitTo]:
    submitter = SubmitTo(tmp_path)
    yield submitter
    for executor in submitter.executors:
        executor.shutdown()


class SubmitTo:
    """Submits toy jobs as an owner; shuts the executors it saw down after the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.executors: list[Recording] = []

    def __call__(self, executor: Recording, owner: str | None, *run_ids: str) -> None:
        if executor not in self.executors:
            self.executors.append(executor)
        for run_id in run_ids:
            job = Job(run_id=run_id, spec=TOY_NET, training=toy_training(),
                      run_dir=self.folder / run_id, owner=owner)
            executor.submit(job, _ignore)


def _run_one_at_a_time(executor: Recording, count: int) -> list[str]:
    """Finish each placed run in turn until `count` have been placed: their order."""
    for placed in range(1, count):
        executor.finish(executor.wait_placed(placed)[-1])
    return executor.wait_placed(count)


def test_two_owners_bursts_take_turns(submit: SubmitTo) -> None:
    executor = Recording(max_concurrent=1)
    submit(executor, "alice", "a0", "a1", "a2", "a3")
    submit(executor, "bob", "b0", "b1", "b2", "b3")
    order = _run_one_at_a_time(executor, 8)
    assert order == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3"]


def test_an_owner_at_its_limit_lets_the_others_go_ahead(submit: SubmitTo) -> None:
    executor = Recording(max_concurrent=2, per_user=1)
    submit(executor, "alice", "a0", "a1")
    assert executor.wait_placed(1) == ["a0"]
    assert executor.queue_position("a1") == 1  # a slot is free, but alice has her one
    submit(executor, "bob", "b0", "b1")
    assert executor.wait_placed(2) == ["a0", "b0"]

    executor.finish("b0")
    assert executor.wait_placed(3) == ["a0", "b0", "b1"]  # a1 still waits for a0
    assert executor.queue_position("a1") == 1
    executor.finish("a0")
    assert executor.wait_placed(4) == ["a0", "b0", "b1", "a1"]


def test_queue_position_follows_the_fair_order(submit: SubmitTo) -> None:
    executor = Recording(max_concurrent=1)
    submit(executor, "alice", "a0", "a1", "a2")
    submit(executor, "bob", "b0", "b1")
    assert executor.wait_placed(1) == ["a0"]
    positions = {run_id: executor.queue_position(run_id)
                 for run_id in ("a0", "a1", "a2", "b0", "b1", "unknown")}
    assert positions == {"a0": None, "a1": 2, "a2": 4, "b0": 1, "b1": 3, "unknown": None}

    executor.finish("a0")
    assert executor.wait_placed(2) == ["a0", "b0"]  # the run that stood first
    assert executor.queue_position("b0") is None
    assert [executor.queue_position(r) for r in ("a1", "b1", "a2")] == [1, 2, 3]
    assert executor.queue_position("a0") is None  # finished
    assert _run_one_at_a_time(executor, 5) == ["a0", "b0", "a1", "b1", "a2"]


def test_runs_of_no_owner_go_first_come_first_placed(submit: SubmitTo) -> None:
    executor = Recording(max_concurrent=1, per_user=1)
    submit(executor, None, "r0", "r1", "r2", "r3")
    assert executor.wait_placed(1) == ["r0"]
    assert [executor.queue_position(r) for r in ("r1", "r2", "r3")] == [1, 2, 3]
    assert _run_one_at_a_time(executor, 4) == ["r0", "r1", "r2", "r3"]


def test_per_user_never_holds_back_runs_of_no_owner(submit: SubmitTo) -> None:
    executor = Recording(max_concurrent=2, per_user=1)
    submit(executor, None, "r0", "r1", "r2")
    assert executor.wait_placed(2) == ["r0", "r1"]
    assert executor.queue_position("r2") == 1
