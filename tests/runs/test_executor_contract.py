"""What every executor must do, run against each one: local worker processes, Ray actors
(a real local Ray cluster, started once per session), and a batch-scheduler-like
executor written for the tests on the executor core with only its two parts
(tests/runs/batch_executor.py)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.runs.core_share import CoreShare, markers_folder, usable_cores
from app.runs.executor import Executor
from app.runs.process_executor import ProcessExecutor
from app.runs.worker import Job
from app.spec.events import FinishedEvent, StartedEvent, TrainingEvent
from tests.runs.batch_executor import BatchExecutor
from tests.runs.conftest import TOY_NET, toy_training

LONG = {"epochs": 400, "dataset": {"name": "circle", "options": {"n_samples": 1000}}}
WAIT = 120.0


class Events:
    """on_event for every job: each run's events, and when each kind first arrived."""

    def __init__(self) -> None:
        self.runs: dict[str, list[TrainingEvent]] = {}
        self.order: list[tuple[str, str]] = []  # (run id, kind) as they arrive
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def __call__(self, run_id: str, event: TrainingEvent) -> None:
        with self.changed:
            self.runs.setdefault(run_id, []).append(event)
            self.order.append((run_id, event.kind))
            self.changed.notify_all()

    def wait(self, run_id: str, kind: str, timeout: float = WAIT) -> TrainingEvent:
        """The run's first event of this kind, once it has arrived."""
        with self.changed:
            found = self.changed.wait_for(lambda: (run_id, kind) in self.order, timeout)
            assert found, f"no {kind} event from {run_id} in {timeout} s: {self.kinds(run_id)}"
            return next(e for e in self.runs[run_id] if e.kind == kind)

    def final(self, run_id: str) -> FinishedEvent:
        event = self.wait(run_id, "finished")
        assert isinstance(event, FinishedEvent)
        return event

    def kinds(self, run_id: str) -> list[str]:
        return [event.kind for event in self.runs.get(run_id, [])]


def job(tmp_path: Path, name: str, resume: bool = False, **training: Any) -> Job:
    run_id = name * 32
    return Job(run_id, TOY_NET, toy_training(**training), tmp_path / run_id, resume)


def kill_worker(executor: Executor, run_id: str) -> str:
    """Kill the run's worker as its platform can lose one (the OOM killer, a node lost);
    returns what the run's failure reason must name."""
    worker = executor.worker_of(run_id)  # type: ignore[attr-defined]
    if isinstance(executor, ProcessExecutor | BatchExecutor):
        worker.process.kill()
        return "SIGKILL"
    import ray

    ray.kill(worker.actor)
    return "killed by `ray.kill`"


Make = Callable[..., Executor]


def ray_executor(capacity: int) -> Executor:
    from app.runs.ray_executor import RayExecutor

    return RayExecutor(cpus=2 / capacity, stop_timeout=3.0)  # the cluster has 2 CPUs


EXECUTORS: dict[str, Callable[[int], Executor]] = {
    "local": lambda capacity: ProcessExecutor(max_concurrent=capacity, stop_timeout=3.0),
    "ray": ray_executor,
    "batch": lambda capacity: BatchExecutor(max_concurrent=capacity, stop_timeout=3.0),
}


@pytest.fixture(params=list(EXECUTORS))
def make(request: pytest.FixtureRequest) -> Iterator[Make]:
    """make(capacity): an executor that runs at most `capacity` jobs at once; all are
    shut down after the test."""
    made: list[Executor] = []
    if request.param == "ray":
        request.getfixturevalue("ray_cluster")

    def build(capacity: int = 2) -> Executor:
        made.append(EXECUTORS[request.param](capacity))
        return made[-1]

    yield build
    for executor in made:
        executor.shutdown()


def test_a_job_runs_to_completion_with_its_events_in_order(make: Make, tmp_path: Path) -> None:
    executor, events, a = make(), Events(), job(tmp_path, "a", epochs=2)
    executor.submit(a, events)
    assert a.run_id in executor.active()
    final = events.final(a.run_id)
    assert final.status == "completed", final.reason
    kinds = events.kinds(a.run_id)
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("finished") == 1
    assert {"metrics", "epoch", "checkpoint"} <= set(kinds)
    epochs = [e.epoch for e in events.runs[a.run_id] if e.kind == "epoch"]  # type: ignore[union-attr]
    assert epochs == [0, 1]
    assert a.has_checkpoint
    deadline = time.monotonic() + 30
    while executor.active() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert executor.active() == set()


def test_stop_ends_a_running_job_and_a_queued_one(make: Make, tmp_path: Path) -> None:
    executor, events = make(capacity=1), Events()
    running, queued = job(tmp_path, "a", **LONG), job(tmp_path, "b", **LONG)
    executor.submit(running, events)
    executor.submit(queued, events)
    events.wait(running.run_id, "metrics")
    assert executor.stop(queued.run_id)
    stopped = events.final(queued.run_id)
    assert stopped.status == "stopped" and "before it started" in (stopped.reason or "")
    assert "started" not in events.kinds(queued.run_id)
    assert executor.stop(running.run_id)
    assert events.final(running.run_id).status == "stopped"
    assert events.kinds(running.run_id).count("finished") == 1
    assert not executor.stop("c" * 32)


def test_pause_checkpoints_and_a_resubmitted_job_resumes(make: Make, tmp_path: Path) -> None:
    executor, events, first = make(), Events(), job(tmp_path, "a", **LONG)
    executor.submit(first, events)
    events.wait(first.run_id, "epoch")
    assert executor.pause(first.run_id)
    paused = events.final(first.run_id)
    assert paused.status == "paused" and paused.epoch >= 1
    assert first.has_checkpoint
    again, resumed = replace(first, resume=True), Events()  # as service.resume does
    executor.submit(again, resumed)
    started = resumed.wait(first.run_id, "started")
    assert isinstance(started, StartedEvent) and started.start_epoch == paused.epoch
    resumed.wait(first.run_id, "epoch")
    assert executor.stop(first.run_id)
    assert resumed.final(first.run_id).status == "stopped"


@pytest.mark.slow
def test_a_job_beyond_capacity_waits_for_a_slot(make: Make, tmp_path: Path) -> None:
    executor, events = make(capacity=1), Events()
    a, b = job(tmp_path, "a", epochs=2), job(tmp_path, "b", epochs=2)
    executor.submit(a, events)
    executor.submit(b, events)
    assert executor.active() == {a.run_id, b.run_id}
    assert events.final(a.run_id).status == "completed"
    assert events.final(b.run_id).status == "completed"
    assert events.order.index((b.run_id, "started")) > events.order.index((a.run_id, "finished"))


def test_shutdown_pauses_running_jobs_and_returns_the_unfinished(make: Make,
                                                                 tmp_path: Path) -> None:
    executor, events = make(capacity=1), Events()
    running, queued = job(tmp_path, "a", **LONG), job(tmp_path, "b", **LONG)
    executor.submit(running, events)
    executor.submit(queued, events)
    events.wait(running.run_id, "epoch")
    assert executor.shutdown() == {running.run_id, queued.run_id}
    final = events.final(running.run_id)
    assert final.status == "paused", final.reason
    assert running.has_checkpoint
    assert events.kinds(queued.run_id) == []
    with pytest.raises(RuntimeError):
        executor.submit(job(tmp_path, "c"), events)


def test_a_killed_worker_fails_its_run_with_the_reason(make: Make, tmp_path: Path) -> None:
    executor, events = make(), Events()
    victim, other = job(tmp_path, "a", **LONG), job(tmp_path, "b", epochs=2)
    executor.submit(victim, events)
    events.wait(victim.run_id, "metrics")
    cause = kill_worker(executor, victim.run_id)
    failed = events.final(victim.run_id)
    assert failed.status == "failed"
    assert cause in (failed.reason or ""), failed.reason
    assert events.kinds(victim.run_id).count("finished") == 1
    executor.submit(other, events)  # the executor goes on
    assert events.final(other.run_id).status == "completed"
    assert failed.cause == "worker"


def worker_pid(executor: Executor, run_id: str) -> int:
    """The process of the run's worker (a local process, a batch job, a Ray actor's)."""
    worker = executor.worker_of(run_id)  # type: ignore[attr-defined]
    if isinstance(executor, ProcessExecutor | BatchExecutor):
        return int(worker.process.pid)
    import ray

    return int(ray.get(worker.actor.__ray_call__.remote(lambda _: os.getpid())))


def test_a_frozen_worker_fails_its_run_and_is_replaced(make: Make, tmp_path: Path) -> None:
    """kill -STOP freezes the worker's process, every thread of it: once it has been
    silent past `worker_timeout` its run fails, the process is killed, and the job queued
    behind it trains on another worker."""
    executor, events = make(capacity=1), Events()
    # a batch job has no heartbeat: it is judged by its events alone, after ten times the
    # timeout, so it gets a shorter one (a training run reports many times a second)
    executor.worker_timeout = 1.0 if isinstance(executor, BatchExecutor) else 3.0  # type: ignore[attr-defined]
    victim, queued = job(tmp_path, "a", **LONG), job(tmp_path, "b", epochs=2)
    executor.submit(victim, events)
    executor.submit(queued, events)
    events.wait(victim.run_id, "metrics")
    pid = worker_pid(executor, victim.run_id)
    os.kill(pid, signal.SIGSTOP)
    try:
        failed = events.final(victim.run_id)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert failed.status == "failed" and failed.cause == "worker"
    assert (failed.reason or "").startswith("the worker stopped responding ("), failed.reason
    assert events.final(queued.run_id).status == "completed"


def test_a_lone_run_takes_every_core_and_a_second_run_shares_them(
        make: Make, tmp_path: Path) -> None:
    """Threads follow the runs training on the machine (app.runs.core_share), whichever
    executor started their workers: each leaves its marker while it trains. (Runs of
    other tests still training count too: the share expected is the one they leave.)"""
    cores = usable_cores()
    if cores < 2:
        pytest.skip("one core: nothing to share")
    executor = make(2)
    events, first, second = Events(), job(tmp_path, "a", **LONG), job(tmp_path, "b", **LONG)
    executor.submit(first, events)
    started = events.wait(first.run_id, "started")
    assert isinstance(started, StartedEvent)
    others = CoreShare(cores).training() - 1  # this run's marker is down by now
    assert threads(started) == max(1, cores // (1 + others))
    assert (markers_folder() / str(worker_pid(executor, first.run_id))).exists()
    executor.submit(second, events)
    started = events.wait(second.run_id, "started")
    assert isinstance(started, StartedEvent)
    assert threads(started) <= max(1, cores // 2)  # the first run trains beside it
    for run in (first, second):
        executor.stop(run.run_id)
        assert events.final(run.run_id).status == "stopped"


def threads(started: StartedEvent) -> int:
    """The threads a run started on, as its device names them ("cpu (2 threads)")."""
    found = re.fullmatch(r"cpu \((\d+) threads?\)", started.device)
    assert found, started.device
    return int(found.group(1))
