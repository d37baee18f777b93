"""Runs through real worker processes: lifecycle, crashes, stop, pause/resume, restart."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path

import pytest
import torch

from app.runs.process_executor import ProcessExecutor
from app.runs.run_metrics import MetricRangeTooLong
from app.runs.service import RunService, RunStateError
from app.spec.events import BoundaryEvent, MetricsEvent, TrainingEvent
from app.store import get_store
from app.train import CHECKPOINT_NAME
from app.train.checkpoint import load_checkpoint
from tests.runs.conftest import TOY_NET, finished, toy_training, wait_for

pytestmark = pytest.mark.slow


def test_a_run_completes_and_its_metrics_are_stored(service: RunService) -> None:
    seen: list[TrainingEvent] = []
    run = service.create(TOY_NET, toy_training())
    service.subscribe(run.id, lambda _, event: seen.append(event))
    assert run.status == "queued"
    done = wait_for(service, run.id, finished)
    assert done.status == "completed", done.error
    assert done.started_at and done.finished_at
    # its share of the cores, as many as the runs training on the machine leave it
    assert re.fullmatch(r"cpu \((1 thread|[2-9]\d* threads)\)", done.device or "")
    assert done.test_metrics["test_accuracy"] > 0.6
    assert {"val_loss", "val_accuracy"} <= set(done.best_metrics)
    metrics = service.metrics(run.id, names=["train_loss"]).columns
    assert metrics["step"] == sorted(metrics["step"]) and len(metrics["step"]) == done.step
    assert seen and seen[-1].kind == "finished"
    assert (service.run_dir(run.id) / CHECKPOINT_NAME).exists()


def test_bad_input_is_refused_before_queueing(service: RunService) -> None:
    with pytest.raises(ValueError, match="2 classes"):
        service.create(TOY_NET.model_copy(update={"layers": TOY_NET.layers[:1]}),
                       toy_training())
    with pytest.raises(ValueError, match="unknown dataset"):
        service.create(TOY_NET, toy_training(dataset={"name": "nope"}))
    assert service.list_runs() == []


def test_kill_9_fails_the_run_and_others_go_on(service: RunService) -> None:
    slow = toy_training(epochs=400, dataset={"name": "circle",
                                             "options": {"n_samples": 4000}})
    victim = service.create(TOY_NET, slow)
    other = service.create(TOY_NET, toy_training())
    started = threading.Event()
    service.subscribe(victim.id, lambda _, e: isinstance(e, MetricsEvent) and started.set())
    assert started.wait(60)
    worker = service.executor.worker_of(victim.id).process  # type: ignore[attr-defined]
    os.kill(worker.pid, signal.SIGKILL)
    failed = wait_for(service, victim.id, finished)
    assert failed.status == "failed"
    assert "SIGKILL" in (failed.error or "")
    assert wait_for(service, other.id, finished).status == "completed"


def test_stop_is_cooperative(service: RunService) -> None:
    run = service.create(TOY_NET, toy_training(epochs=400))
    wait_for(service, run.id, lambda r: r.step > 0)
    service.stop(run.id)
    stopped = wait_for(service, run.id, finished)
    assert stopped.status == "stopped"
    assert stopped.error == "stopped on request"
    with pytest.raises(RunStateError):
        service.stop(run.id)


def test_a_run_stopped_within_its_first_epoch_keeps_the_weights_it_reached(
        service: RunService) -> None:
    # one epoch of 20,000 single-sample steps: the stop comes long before its end
    run = service.create(TOY_NET, toy_training(
        epochs=1, batch_size=1, report_every=1,
        dataset={"name": "circle", "options": {"n_samples": 25_000}}))
    wait_for(service, run.id, lambda r: r.step > 0)
    service.stop(run.id)
    stopped = wait_for(service, run.id, finished)
    assert stopped.status == "stopped" and stopped.epoch == 0
    weights = service.weights(run.id)  # exports and inspect views read these
    assert set(weights) == {"h.0.weight", "h.0.bias", "out.weight", "out.bias"}


def test_a_run_that_ignores_stop_is_killed(service: RunService) -> None:
    # An epoch of 80,000 single-sample steps and one report per 10^5 steps: the worker
    # does not look at the stop flag within the 3 s stop timeout.
    big = {"name": "circle", "options": {"n_samples": 100_000}}
    run = service.create(TOY_NET, toy_training(dataset=big, batch_size=1, report_every=100_000,
                                               validation_split=0.0))
    wait_for(service, run.id, lambda r: r.status == "running")
    service.stop(run.id)
    stopped = wait_for(service, run.id, finished)
    assert stopped.status == "stopped"
    assert "killed after" in (stopped.error or "")


def test_pause_resume_matches_an_uninterrupted_run(service: RunService, tmp_path: Path) -> None:
    # 9,600 steps of one sample (about 2 s): still training when its first report is read
    training = toy_training(epochs=8, batch_size=1, dataset={"name": "circle",
                                                             "options": {"n_samples": 1500}})
    reference = service.create(TOY_NET, training)
    paused = service.create(TOY_NET, training)
    wait_for(service, paused.id, lambda r: r.step > 0)
    service.pause(paused.id)
    assert wait_for(service, paused.id, finished).status == "paused"
    with pytest.raises(RunStateError):
        service.pause(paused.id)
    service.resume(paused.id)
    for run_id in (reference.id, paused.id):
        assert wait_for(service, run_id, finished).status == "completed"
    a = load_checkpoint(service.run_dir(reference.id) / CHECKPOINT_NAME).model
    b = load_checkpoint(service.run_dir(paused.id) / CHECKPOINT_NAME).model
    assert all(torch.equal(a[k], b[k]) for k in a)
    steps = service.metrics(paused.id, names=["train_loss"]).columns["step"]
    assert steps == sorted(set(steps))  # re-reported steps replaced, none doubled


def test_restart_marks_running_runs_interrupted_and_resumes(tmp_path: Path) -> None:
    """A server dies mid-run; the next one marks the run interrupted, and resuming it
    from its last epoch checkpoint ends with the weights of an uninterrupted run."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    training = toy_training(epochs=6, dataset={"name": "circle",
                                               "options": {"n_samples": 3000}})
    store = get_store(url)
    first = RunService(store, ProcessExecutor(stop_timeout=1.0), tmp_path / "runs")
    run = first.create(TOY_NET, training)
    wait_for(first, run.id, lambda r: r.epoch >= 2)
    first.executor.worker_of(run.id).kill()  # type: ignore[attr-defined]
    first._recorder.close()  # the server is gone: nothing more is recorded
    store.update_run(run.id, status="running")  # what a crash leaves in the store
    first.executor.shutdown()
    store.close()

    store = get_store(url)
    second = RunService(store, ProcessExecutor(), tmp_path / "runs")
    try:
        assert second.recover() == [run.id]
        assert second.get(run.id).status == "interrupted"
        second.resume(run.id)
        reference = second.create(TOY_NET, training)
        for run_id in (run.id, reference.id):
            assert wait_for(second, run_id, finished).status == "completed"
        a = load_checkpoint(second.run_dir(run.id) / CHECKPOINT_NAME).model
        b = load_checkpoint(second.run_dir(reference.id) / CHECKPOINT_NAME).model
        assert all(torch.equal(a[k], b[k]) for k in a)
    finally:
        second.close()
        store.close()


def test_a_broken_subscriber_does_not_stop_a_run(service: RunService) -> None:
    run = service.create(TOY_NET, toy_training())

    def broken(_: str, __: TrainingEvent) -> None:
        raise RuntimeError("this subscriber is broken")

    service.subscribe(run.id, broken)
    assert wait_for(service, run.id, finished).status == "completed"


def test_shutdown_interrupts_active_runs_which_resume_later(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    store = get_store(url)
    first = RunService(store, ProcessExecutor(), tmp_path / "runs")
    training = toy_training(epochs=200)
    running = first.create(TOY_NET, training)
    wait_for(first, running.id, lambda r: r.step > 0)
    first.close()
    assert first.get(running.id).status == "interrupted"
    assert (first.run_dir(running.id) / CHECKPOINT_NAME).exists()  # paused: weights kept
    store.close()
    store = get_store(url)
    second = RunService(store, ProcessExecutor(), tmp_path / "runs")
    try:
        second.resume(running.id)
        wait_for(second, running.id, lambda r: r.status == "running")
        second.stop(running.id)
        assert wait_for(second, running.id, finished).status == "stopped"
    finally:
        second.close()
        store.close()


def test_the_latest_boundary_is_kept_while_a_2d_run_trains(service: RunService) -> None:
    run = service.create(TOY_NET, toy_training())
    kept: list[object] = []
    service.subscribe(run.id, lambda run_id, event: kept.append(service.last_boundary(run_id))
                      if isinstance(event, BoundaryEvent) else None)
    assert wait_for(service, run.id, finished).status == "completed"
    assert kept and all(isinstance(b, BoundaryEvent) for b in kept)
    assert service.last_boundary(run.id) is None  # dropped once the run is over


def test_only_the_server_that_trains_a_run_stops_or_pauses_it(tmp_path: Path) -> None:
    """Two servers on one database: each sees the other's runs, and is refused (naming
    the owner) when it would stop or pause one that the other is training."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    stores = [get_store(url, server_id=name) for name in ("a", "b")]
    a, b = (RunService(store, ProcessExecutor(stop_timeout=3.0), tmp_path / "runs")
            for store in stores)
    try:
        run = a.create(TOY_NET, toy_training(epochs=500, dataset={
            "name": "circle", "options": {"n_samples": 3000}}))
        live = wait_for(a, run.id, lambda r: r.status == "running")
        assert a.owns(live) and not b.owns(live)
        assert [r.id for r in b.list_runs(status="running")] == [run.id]
        for action in (b.stop, b.pause):
            with pytest.raises(RunStateError, match="running on server a: stop or pause it "
                                                    "through that server"):
                action(run.id)
        assert b.get(run.id).status == "running"
        a.stop(run.id)
        assert wait_for(a, run.id, finished).status == "stopped"
    finally:
        for service, store in zip((a, b), stores, strict=True):
            service.close()
            store.close()


def test_a_range_too_long_for_full_resolution_is_refused(
        service: RunService, monkeypatch: pytest.MonkeyPatch) -> None:
    run = wait_for(service, service.create(TOY_NET, toy_training(epochs=2)).id, finished)
    assert run.status == "completed", run.error
    last = run.step
    monkeypatch.setattr("app.runs.run_metrics.FULL_ROWS", last - 1)
    with pytest.raises(MetricRangeTooLong, match="ask for a shorter range"):
        service.metrics(run.id)
    page = service.metrics(run.id, since_step=1)  # one step fewer: every row
    assert page.columns["step"][0] == 2 and not page.downsampled and page.last_step == last
    assert service.metrics(run.id, points=4).downsampled
