"""The one place that writes run progress to the store: a thread that drains events in
batches, so a fast run costs one transaction per batch, not one per report."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.spec.events import (
    EpochColumns,
    EpochEvent,
    FinishedEvent,
    MetricsEvent,
    NoteEvent,
    RunMetrics,
    StartedEvent,
    StepColumns,
    TrainingEvent,
)
from app.spec.gradients import is_gradient_metric
from app.store.base import MetricRow, RunStore, StoreUnavailable

log = logging.getLogger(__name__)
_CLOSE = object()
LOWER_IS_BETTER = ("loss", "mae", "rmse", "reconstruction", "kl", "discriminator", "generator")


EPOCH_FACTS = ("epoch_seconds", "epoch_memory_mb")
"""Stored with an epoch's metrics but not metrics of the network: its training time and
the run's peak memory (kept out of best_metrics)."""


def epoch_rows(event: EpochEvent) -> dict[str, float]:
    """Epoch metrics as stored: train averages get an 'epoch_' prefix so they don't
    collide with the per-step train_loss written at the same step; epoch_seconds is the
    epoch's training time, epoch_memory_mb the run's peak memory so far (when known)."""
    rows = {(f"epoch_{k}" if k.startswith("train_") else k): v for k, v in event.metrics.items()}
    rows["epoch_seconds"] = event.seconds
    if event.memory_mb is not None:
        rows["epoch_memory_mb"] = event.memory_mb
    return rows


def is_step_metric(name: str) -> bool:
    """Whether a stored metric is a step row's (a MetricsEvent's train_* values), not an
    epoch row's."""
    return name.startswith("train_")


def split_metrics(columns: Mapping[str, Sequence[float | int | None]]) -> RunMetrics:
    """The stored columns (`RunStore.get_metrics`) as the events reported them: the step
    rows of `MetricsEvent` blocks (those with a train_* value) and the rows of each
    `EpochEvent` (those with an epoch_seconds; the inverse of `epoch_rows`)."""
    step_names = [n for n in columns if is_step_metric(n)]
    epoch_names = [n for n in columns if n not in ("step", "epoch", *EPOCH_FACTS)
                   and not is_step_metric(n)]
    at_steps = [i for i in range(len(columns.get("step", [])))
                 if any(columns[n][i] is not None for n in step_names)]
    at_epochs = [i for i, s in enumerate(columns.get("epoch_seconds", [])) if s is not None]

    def pick(name: str, rows: list[int]) -> list[Any]:
        column = columns.get(name, [])
        return [column[i] if i < len(column) else None for i in rows]

    return RunMetrics(
        steps=StepColumns(step=pick("step", at_steps), epoch=pick("epoch", at_steps),
                          values={n: pick(n, at_steps) for n in step_names}),
        epochs=EpochColumns(step=pick("step", at_epochs), epoch=pick("epoch", at_epochs),
                            seconds=pick("epoch_seconds", at_epochs),
                            memory_mb=pick("epoch_memory_mb", at_epochs),
                            values={n.removeprefix("epoch_"): pick(n, at_epochs)
                                    for n in epoch_names}))


def reported_epochs(columns: Mapping[str, Sequence[float | int | None]]) -> list[dict[str, float]]:
    """Each epoch's metrics as its event reported them, oldest first, from the stored
    columns (`RunStore.get_metrics`)."""
    epochs = split_metrics(columns).epochs
    return [{name: float(value) for name, values in epochs.values.items()
             if (value := values[row]) is not None} for row in range(len(epochs.epoch))]


def reported_losses(columns: Mapping[str, Sequence[float | int | None]]
                    ) -> tuple[list[float], list[float]]:
    """(epoch, training loss) of each step that reported one, oldest first, from the
    stored columns; a loss that became NaN reads as NaN."""
    steps = split_metrics(columns).steps
    rows = [(float(epoch), float(loss)) for epoch, loss in
            zip(steps.epoch, steps.values.get("train_loss", [None] * len(steps.epoch)),
                strict=True)
            if epoch is not None and loss is not None]
    return [epoch for epoch, _ in rows], [loss for _, loss in rows]


def better(name: str, new: float, old: float | None) -> bool:
    if old is None:
        return True
    return new < old if name.endswith(LOWER_IS_BETTER) else new > old


class Recorder:
    """Applies events to the store from a background thread."""

    def __init__(self, store: RunStore, patience: float = 300.0) -> None:
        """`patience`: how long a batch is retried while the database is unavailable
        (locked, restarting) before its events are given up, with an error logged."""
        self.store, self.patience = store, patience
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="recorder", daemon=True)
        self._thread.start()

    def record(self, run_id: str, event: TrainingEvent) -> None:
        self._queue.put((run_id, event))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything recorded so far is in the store (at once once closed)."""
        if not self._thread.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def restore(self, run_id: str, events: Sequence[TrainingEvent]) -> None:
        """Apply reports of a run now, on the caller's thread: those a checkpoint kept
        (app.train.journal) that a server died before storing. Applying one again
        changes nothing: every write is an upsert or sets fields."""
        if events:
            self._retrying(run_id, list(events))

    def close(self) -> None:
        self._queue.put(_CLOSE)
        self._thread.join(10)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            closing = any(item is _CLOSE for item in batch)
            events = [item for item in batch if isinstance(item, tuple)]
            self._apply(events)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if closing:
                return

    def _apply(self, events: list[tuple[str, TrainingEvent]]) -> None:
        """Write per run, so one run's failure (deleted meanwhile, say) loses no other's."""
        by_run: dict[str, list[TrainingEvent]] = {}
        for run_id, event in events:
            by_run.setdefault(run_id, []).append(event)
        for run_id, run_events in by_run.items():
            try:
                self._retrying(run_id, run_events)
            except Exception:
                log.exception("could not record %d events of run %s", len(run_events), run_id)

    def _retrying(self, run_id: str, events: list[TrainingEvent]) -> None:
        """Apply, retrying with backoff while the store is unavailable; safe because
        every write is an upsert or sets fields, so a repeat changes nothing."""
        deadline, delay = time.monotonic() + self.patience, 0.05
        while True:
            try:
                self._apply_run(run_id, events)
                return
            except StoreUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    raise
                if delay == 0.05:
                    log.warning("%s; retrying the events of run %s", exc, run_id)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _apply_run(self, run_id: str, events: list[TrainingEvent]) -> None:
        rows: list[MetricRow] = []
        for event in events:
            if isinstance(event, MetricsEvent):
                rows.extend(
                    MetricRow(step=s, epoch=e, values={k: v[i] for k, v in event.values.items()})
                    for i, (s, e) in enumerate(zip(event.step, event.epoch, strict=True)))
            elif isinstance(event, EpochEvent):
                rows.append(MetricRow(step=event.step, epoch=event.epoch,
                                      values=epoch_rows(event)))
        if rows:
            self.store.append_metrics(run_id, rows)
        for event in events:
            self._update(run_id, event)

    def _update(self, run_id: str, event: TrainingEvent) -> None:
        now = datetime.now(UTC)
        if isinstance(event, StartedEvent):
            run = self.store.get_run(run_id)
            fields: dict[str, Any] = {"status": "running", "device": event.device, "error": None}
            if run is not None and run.started_at is None:
                fields["started_at"] = now
            if run is not None and event.notice and event.notice not in run.notes:
                fields["notes"] = [*run.notes, event.notice]
            self.store.update_run(run_id, **fields)
        elif isinstance(event, NoteEvent):
            run = self.store.get_run(run_id)
            if run is not None and event.text not in run.notes:
                self.store.update_run(run_id, notes=[*run.notes, event.text])
        elif isinstance(event, MetricsEvent):
            latest = {k: v[-1] for k, v in event.values.items()}
            self.store.update_run(run_id, step=event.step[-1], epoch=event.epoch[-1],
                                  latest_metrics=latest)
        elif isinstance(event, EpochEvent):
            run = self.store.get_run(run_id)
            best = dict(run.best_metrics) if run is not None else {}
            best_epochs = dict(run.best_epochs) if run is not None else {}
            for name, value in event.metrics.items():
                if (name != "lr" and not is_gradient_metric(name)
                        and better(name, value, best.get(name))):
                    best[name], best_epochs[name] = value, event.epoch + 1
            self.store.update_run(run_id, latest_metrics=epoch_rows(event), best_metrics=best,
                                  best_epochs=best_epochs, epoch=event.epoch + 1, step=event.step)
        elif isinstance(event, FinishedEvent):
            self._finish(run_id, event, now)

    def _finish(self, run_id: str, event: FinishedEvent, now: datetime) -> None:
        fields: dict[str, Any] = {"status": event.status, "test_metrics": event.metrics}
        if event.step:
            fields |= {"step": event.step, "epoch": event.epoch}
        if event.status in ("failed", "diverged", "stopped"):
            fields["error"] = event.reason
        if event.status == "failed":
            fields["failure"] = event.cause
        if event.status != "paused":
            fields["finished_at"] = now
        self.store.update_run(run_id, **fields)
