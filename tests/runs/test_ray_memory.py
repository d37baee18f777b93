"""LAYERLAB_WORKER_MEMORY_MB on Ray: each actor's data size is capped as a local worker's
is, so a network too big for the cap fails its run with 'out of memory' and the next
run trains; a cap larger than the cluster's memory fails the run at once, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.runs.worker import Job
from app.spec.network import parse_network
from tests.runs.conftest import toy_training
from tests.runs.test_executor_contract import Events, job

pytestmark = pytest.mark.usefixtures("ray_cluster")

# activations of 4096 x 65,536 floats: 1 GiB for the hidden layer alone
WIDE = parse_network({"name": "wide", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 65536, "activation": "relu"},
    {"id": "out", "type": "dense", "units": 2}]})


def test_a_run_over_the_cap_fails_out_of_memory_and_the_next_trains(tmp_path: Path) -> None:
    from app.runs.in_process import OUT_OF_MEMORY
    from app.runs.ray_executor import RayExecutor

    executor = RayExecutor(cpus=2.0, stop_timeout=3.0, memory_mb=1024)  # one run at a time
    try:
        events = Events()
        training = toy_training(batch_size=4096, epochs=1,
                                dataset={"name": "circle", "options": {"n_samples": 5000}})
        wide = Job("w" * 32, WIDE, training, tmp_path / "wide", False)
        after = job(tmp_path, "a", epochs=2)
        executor.submit(wide, events)
        executor.submit(after, events)
        failed = events.final(wide.run_id)
        assert failed.status == "failed"
        assert failed.reason == OUT_OF_MEMORY
        assert events.final(after.run_id).status == "completed"
    finally:
        executor.shutdown()


def test_a_cap_no_node_can_hold_fails_the_run_at_once(tmp_path: Path) -> None:
    import ray

    from app.runs.ray_executor import RayExecutor

    too_much = int(ray.cluster_resources()["memory"] / 2**20) + 1024
    executor = RayExecutor(cpus=1.0, stop_timeout=3.0, spares=0, memory_mb=too_much)
    try:
        events = Events()
        run = job(tmp_path, "a", epochs=2)
        executor.submit(run, events)
        final = events.final(run.run_id)
        assert final.status == "failed"
        assert "LAYERLAB_WORKER_MEMORY_MB" in (final.reason or "")
        assert f"{too_much:,} MB" in (final.reason or "")
    finally:
        executor.shutdown()
