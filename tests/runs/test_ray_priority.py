"""A Ray actor trains at the server's priority. Ray starts its workers at niceness 15,
as background tasks: beside any busy process at normal priority such a worker gets a
sliver of the CPU (beside two busy cores an actor took two minutes to import PyTorch
and its runs timed out). The local cluster LayerLab starts gives its workers the
priority of the process that started it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.runs.test_executor_contract import Events, job, worker_pid

pytestmark = pytest.mark.usefixtures("ray_cluster")


def test_a_ray_actor_trains_at_the_servers_priority(tmp_path: Path) -> None:
    from app.runs.ray_executor import RayExecutor

    executor = RayExecutor(cpus=1.0, stop_timeout=3.0)
    try:
        events = Events()
        run = job(tmp_path, "a", epochs=1)
        executor.submit(run, events)
        events.wait(run.run_id, "started")
        actor = worker_pid(executor, run.run_id)
        assert os.getpriority(os.PRIO_PROCESS, actor) == os.getpriority(os.PRIO_PROCESS, 0)
        assert events.final(run.run_id).status == "completed"
    finally:
        executor.shutdown()
