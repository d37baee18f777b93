"""The local executor's own rules: spares that die while idle, and workers forked ahead that
read the environment of the submission (the queue is in the executor contract suite)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService
from app.runs.worker import Job
from app.spec import parse_network
from app.spec.events import FinishedEvent, StartedEvent, TrainingEvent
from tests.runs.conftest import TOY_NET, finished, toy_training, wait_for

pytestmark = pytest.mark.slow


class Collector:
    def __init__(self) -> None:
        self.events: dict[str, list[TrainingEvent]] = {}
        self.order: list[tuple[str, str]] = []  # (run id, event kind) as they arrive
        self.finished: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def expect(self, run_id: str) -> None:
        self.finished[run_id] = threading.Event()

    def __call__(self, run_id: str, event: TrainingEvent) -> None:
        with self.lock:
            self.events.setdefault(run_id, []).append(event)
            self.order.append((run_id, event.kind))
        if isinstance(event, FinishedEvent):
            self.finished[run_id].set()


def _job(run_id: str, tmp_path: Path, epochs: int = 2) -> Job:
    return Job(run_id, TOY_NET, toy_training(epochs=epochs), tmp_path / run_id)


def test_a_dead_spare_is_replaced(tmp_path: Path) -> None:
    executor = ProcessExecutor(max_concurrent=1, spares=1)
    collect = Collector()
    try:
        assert executor.wait_until_warm(120)
        executor._pool.idle[0].process.kill()  # an idle spare dies (e.g. the OOM killer)
        executor._pool.idle[0].process.join()
        collect.expect("c" * 32)
        executor.submit(_job("c" * 32, tmp_path), collect)
        assert collect.finished["c" * 32].wait(120)
        final = collect.events["c" * 32][-1]
        assert isinstance(final, FinishedEvent) and final.status == "completed"
    finally:
        executor.shutdown()


def test_a_worker_sees_the_environment_of_its_submission(
        service: RunService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork from a server started earlier: the settings they read from the
    environment must still be the server's as they are when the run is submitted."""
    assert service.executor.wait_until_warm()  # type: ignore[attr-defined]
    monkeypatch.setenv("LAYERLAB_MNIST_DIR", str(tmp_path / "my-own-digits"))
    run = service.create(parse_network({"input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]}),
        toy_training(dataset={"name": "mnist-10k"}))
    failed = wait_for(service, run.id, finished)
    assert failed.status == "failed"
    assert "my-own-digits" in (failed.error or "")


@pytest.mark.parametrize("threads", [1, 2])
def test_a_worker_trains_with_its_share_of_the_cores(tmp_path: Path, threads: int) -> None:
    executor = ProcessExecutor(max_concurrent=1, spares=1, threads_per_run=threads)
    collect = Collector()
    try:
        collect.expect("d" * 32)
        executor.submit(_job("d" * 32, tmp_path), collect)
        assert collect.finished["d" * 32].wait(120)
        (started,) = [e for e in collect.events["d" * 32] if isinstance(e, StartedEvent)]
        assert started.device == f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    finally:
        executor.shutdown()

