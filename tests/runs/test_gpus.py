"""Placing local runs on GPUs: each run that may use one goes to the least busy GPU with
room and sees only it; the rest wait, while CPU runs go ahead. On a machine without a
GPU the executor is told it has one: the runs then train on the CPU, placed the same."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.runs.gpus import GpuSlots, environment_for, visible_gpus
from app.runs.process_executor import ProcessExecutor
from app.runs.worker import Job
from app.spec.events import FinishedEvent, TrainingEvent
from tests.runs.conftest import TOY_NET, toy_training


def test_the_least_busy_gpu_with_room_is_taken() -> None:
    slots = GpuSlots(2, per_gpu=2)
    assert [slots.take() for _ in range(4)] == [0, 1, 0, 1]
    assert slots.take() is None
    slots.give_back(1)
    assert slots.take() == 1
    assert slots.wants(toy_training(device="auto")) and slots.wants(toy_training(device="cuda"))
    assert not slots.wants(toy_training(device="cpu"))
    assert not GpuSlots(0).wants(toy_training(device="auto"))


def test_a_worker_sees_only_its_gpu_among_the_servers() -> None:
    assert environment_for(1, {"PATH": "/bin"}) == {"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "1"}
    given = {"CUDA_VISIBLE_DEVICES": "2, 3"}
    assert environment_for(1, given)["CUDA_VISIBLE_DEVICES"] == "3"
    assert visible_gpus(given) == 2 and visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == 0


@pytest.mark.slow
def test_a_gpu_run_waits_for_a_free_gpu_while_a_cpu_run_goes_ahead(tmp_path: Path) -> None:
    executor = ProcessExecutor(max_concurrent=3, spares=0, gpus=1)
    order: list[tuple[str, str]] = []
    done = {name: threading.Event() for name in ("first", "second", "cpu")}

    def collect(run_id: str, event: TrainingEvent) -> None:
        order.append((run_id, event.kind))
        if isinstance(event, FinishedEvent):
            assert event.status == "completed", event.reason
            done[run_id].set()

    try:
        # the first trains long enough for the CPU run to start while it holds the GPU
        for name, device, epochs in (("first", "auto", 12), ("second", "auto", 2),
                                     ("cpu", "cpu", 2)):
            executor.submit(Job(name, TOY_NET, toy_training(epochs=epochs, device=device),
                                tmp_path / name), collect)
        assert all(event.wait(120) for event in done.values())
    finally:
        executor.shutdown()
    assert order.index(("second", "started")) > order.index(("first", "finished"))
    assert order.index(("cpu", "started")) < order.index(("first", "finished"))
    assert executor.gpu_slots.load == [0]
