"""Helpers for the runs tests (the `service` fixture is in tests/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.runs.service import RunService
from app.spec import parse_network
from app.spec.training import TrainingSpec
from app.store.base import RunRecord

TOY_NET = parse_network({"name": "toy", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2},
]})


def toy_training(**overrides: Any) -> TrainingSpec:
    base: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 400}},
                            "epochs": 3, "batch_size": 32, "optimizer": {"lr": 0.02},
                            "device": "cpu"}
    return TrainingSpec.model_validate(base | overrides)


def wait_for(service: RunService, run_id: str, done: Callable[[RunRecord], bool],
             timeout: float = 90.0) -> RunRecord:
    """Poll the store (as a client would) until `done(run)`, each time with every event
    received so far stored (as a stream's snapshot is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = service.snapshot(run_id).run
        if done(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {service.get(run_id).status} after {timeout} s")


def finished(run: RunRecord) -> bool:
    return run.status in ("completed", "stopped", "failed", "diverged", "paused")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local Ray for the whole session (loopback only, no dashboard, 2 CPUs): its
    start takes seconds. Skipped where Ray is not installed (pip install '.[ray]')."""
    pytest.importorskip("ray")
    import ray

    from app.runs.ray_actor import start_ray

    start_ray(num_cpus=2)
    yield
    ray.shutdown()
