"""The recorder's epoch rows read back as the epoch events reported them: the per-step
train_loss written at the same step as an epoch's average does not leak into it, nor
does the epoch's time or the run's peak memory, stored beside them."""

from __future__ import annotations

from pathlib import Path

from app.runs.recorder import Recorder, reported_epochs
from app.spec.events import EpochEvent, MetricsEvent
from app.store import get_store
from tests.store.factories import make_run


def test_stored_epochs_read_back_as_reported(tmp_path: Path) -> None:
    store = get_store(f"sqlite:///{tmp_path / 'runs.db'}")
    store.create_run(make_run("r1"))
    recorder = Recorder(store)
    epochs = [EpochEvent(epoch=0, step=2, seconds=0.5, memory_mb=300.5,
                         metrics={"train_loss": 0.9, "val_loss": 1.1, "lr": 0.1}),
              EpochEvent(epoch=1, step=4, seconds=0.4, memory_mb=312.0,
                         metrics={"train_loss": 0.5, "train_accuracy": 0.8, "val_loss": 0.7,
                                  "val_accuracy": 0.75, "lr": 0.05})]
    recorder.record("r1", MetricsEvent(step=[1, 2], epoch=[0, 0],
                                       values={"train_loss": [1.0, 0.8]}))
    recorder.record("r1", epochs[0])
    recorder.record("r1", MetricsEvent(step=[3, 4], epoch=[1, 1],
                                       values={"train_loss": [0.6, 0.4],
                                               "train_accuracy": [0.7, 0.9]}))
    recorder.record("r1", epochs[1])
    recorder.flush()
    recorder.close()
    columns = store.get_metrics("r1")
    assert reported_epochs(columns) == [event.metrics for event in epochs]
    assert [v for v in columns["epoch_memory_mb"] if v is not None] == [300.5, 312.0]
    run = store.get_run("r1")
    assert run is not None and "memory_mb" not in str(run.best_metrics)
    assert run.latest_metrics["epoch_memory_mb"] == 312.0
    store.close()


def test_gradient_norms_are_stored_per_epoch_but_are_no_best_metric(tmp_path: Path) -> None:
    store = get_store(f"sqlite:///{tmp_path / 'runs.db'}")
    store.create_run(make_run("r1"))
    recorder = Recorder(store)
    epochs = [EpochEvent(epoch=e, step=2 * e + 2, seconds=0.5,
                         metrics={"val_loss": 1.0 - e / 4, "grad_norm/h1": 1e-6 * (e + 1),
                                  "grad_norm/out": 0.4, "grad_norm_ratio": 2.5e-6 * (e + 1)})
              for e in range(2)]
    for event in epochs:
        recorder.record("r1", event)
    recorder.flush()
    recorder.close()
    assert reported_epochs(store.get_metrics("r1")) == [event.metrics for event in epochs]
    run = store.get_run("r1")
    assert run is not None and run.best_metrics == {"val_loss": 0.75}
    assert run.latest_metrics["grad_norm/h1"] == 2e-6
    store.close()
