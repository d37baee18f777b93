"""The metrics a checkpoint covers, kept beside it.

A worker reports its steps and epochs to the server, which stores them a moment later.
If the server dies in that moment, what it had not stored is gone, while the worker's
checkpoint may already be past it: resuming trains on from the checkpoint, so the lost
steps would never be reported again (a resumed run could even end `completed` with
half its history). So the loop appends every step and epoch report to `metrics.jsonl`
in the run's folder, synced to disk just before each checkpoint is written, and
resuming restores from it whatever the store lacks up to the checkpoint's step.

The file holds the events as reported, one JSON object a line, oldest first; a line
written again after a resume comes later and wins. A line torn by a crash mid-append is
passed over (it is past every checkpoint: the sync before the checkpoint completed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from app.spec.events import EpochEvent, MetricsEvent, TrainingEvent

JOURNAL_NAME = "metrics.jsonl"
Reported = MetricsEvent | EpochEvent
_EVENT: TypeAdapter[TrainingEvent] = TypeAdapter(TrainingEvent)


class MetricsJournal:
    """Step and epoch reports of one run, kept in memory until `commit` appends them."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL_NAME
        self._pending: list[str] = []

    def recording(self, emit: Callable[[TrainingEvent], None]
                  ) -> Callable[[TrainingEvent], None]:
        """`emit`, keeping a copy of each step and epoch report for the next commit."""
        def journaled(event: TrainingEvent) -> None:
            if isinstance(event, MetricsEvent | EpochEvent):
                self._pending.append(event.model_dump_json())
            emit(event)
        return journaled

    def commit(self) -> None:
        """Append the reports since the last commit and sync them to disk (OSError when
        the disk refuses: a full disk, say)."""
        if not self._pending:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)  # as the checkpoint's folder
        with self.path.open("a", encoding="utf-8") as file:
            file.write("".join(f"{line}\n" for line in self._pending))
            file.flush()
            os.fsync(file.fileno())
        self._pending.clear()


def read_journal(folder: Path, upto_step: int) -> list[Reported]:
    """The reports kept in `folder`'s journal, trimmed to the steps up to `upto_step`
    (a checkpoint's), in the order they were made; none when there is no journal."""
    try:
        lines = (folder / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    reports: list[Reported] = []
    for line in lines:
        try:
            event = _EVENT.validate_json(line)
        except ValidationError:
            continue  # torn by a crash mid-append, after the last checkpoint
        if isinstance(event, EpochEvent) and event.step <= upto_step:
            reports.append(event)
        elif isinstance(event, MetricsEvent):
            keep = [i for i, step in enumerate(event.step) if step <= upto_step]
            if keep:
                reports.append(event.model_copy(update={
                    "step": [event.step[i] for i in keep],
                    "epoch": [event.epoch[i] for i in keep],
                    "values": {name: [column[i] for i in keep]
                               for name, column in event.values.items()}}))
    return reports
