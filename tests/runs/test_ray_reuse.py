"""Warm Ray actors are reused: a run that waits for a slot gets the actor a clean run
freed (no new process and PyTorch imports per run), while a run whose actor died never
hands it on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs.test_executor_contract import LONG, Events, job, kill_worker

pytestmark = pytest.mark.usefixtures("ray_cluster")


def _actor_id(executor: object, run_id: str) -> str:
    return str(executor.worker_of(run_id).actor._actor_id)  # type: ignore[attr-defined]


def test_a_waiting_run_takes_the_actor_a_finished_run_leaves(tmp_path: Path) -> None:
    from app.runs.ray_executor import RayExecutor

    executor = RayExecutor(cpus=2.0, stop_timeout=3.0)  # the whole cluster: one at a time
    try:
        events = Events()
        a, b = job(tmp_path, "a", epochs=2), job(tmp_path, "b", epochs=2)
        executor.submit(a, events)
        executor.submit(b, events)
        first = _actor_id(executor, a.run_id)
        assert executor.worker_of(b.run_id) is None  # waits for a warm actor
        assert b.run_id in executor.active()
        events.wait(b.run_id, "started")
        assert _actor_id(executor, b.run_id) == first
        assert events.final(a.run_id).status == "completed"
        assert events.final(b.run_id).status == "completed"
        # the second run's events are its own: the reset actor kept none of the first's
        assert events.kinds(b.run_id)[0] == "started"
        assert events.kinds(b.run_id).count("finished") == 1
    finally:
        executor.shutdown()


def test_a_killed_runs_actor_is_not_handed_on(tmp_path: Path) -> None:
    from app.runs.ray_executor import RayExecutor

    executor = RayExecutor(cpus=2.0, stop_timeout=3.0)
    try:
        events = Events()
        victim, after = job(tmp_path, "a", **LONG), job(tmp_path, "b", epochs=2)
        executor.submit(victim, events)
        executor.submit(after, events)
        events.wait(victim.run_id, "metrics")
        dead = _actor_id(executor, victim.run_id)
        kill_worker(executor, victim.run_id)
        assert events.final(victim.run_id).status == "failed"
        events.wait(after.run_id, "started")
        assert _actor_id(executor, after.run_id) != dead
        assert events.final(after.run_id).status == "completed"
    finally:
        executor.shutdown()
