"""The journal beside a run's checkpoints: every step and epoch report a checkpoint
covers is on disk before the checkpoint is, and reads back trimmed to its step."""

from __future__ import annotations

from pathlib import Path

from app.spec.events import CheckpointEvent, EpochEvent, MetricsEvent, TrainingEvent
from app.train.checkpoint import read_meta
from app.train.journal import JOURNAL_NAME, read_journal
from app.train.loop import CHECKPOINT_NAME
from tests.train.conftest import TrainFn, config


def reports(events: list[TrainingEvent]) -> list[TrainingEvent]:
    return [e for e in events if isinstance(e, MetricsEvent | EpochEvent)]


def test_each_checkpoint_finds_what_it_covers_already_on_disk(
        train: TrainFn, tmp_path: Path) -> None:
    covered: list[tuple[int, int]] = []  # (checkpoint step, last journaled step)

    def at_checkpoint(event: TrainingEvent) -> None:
        if isinstance(event, CheckpointEvent):
            kept = read_journal(tmp_path, event.step)
            last = max(max(e.step) if isinstance(e, MetricsEvent) else e.step for e in kept)
            covered.append((event.step, last))

    final, events, _ = train(config(epochs=3), checkpoint_dir=tmp_path, hook=at_checkpoint,
                             checkpoint_every=0.0)
    assert final.status == "completed"
    assert covered and all(step == last for step, last in covered)
    kept = read_journal(tmp_path, final.step)
    assert [e.model_dump(exclude={"at"}) for e in kept] == [
        e.model_dump(exclude={"at"}) for e in reports(events)]


def test_reading_trims_to_the_checkpoint_and_passes_over_a_torn_line(
        train: TrainFn, tmp_path: Path) -> None:
    train(config(epochs=2), checkpoint_dir=tmp_path, checkpoint_every=0.0)
    with (tmp_path / JOURNAL_NAME).open("a") as journal:
        journal.write('{"kind": "metrics", "step": [99')  # a crash mid-append
    upto = 12
    kept = read_journal(tmp_path, upto)
    steps = [s for e in kept if isinstance(e, MetricsEvent) for s in e.step]
    assert steps == list(range(1, upto + 1))
    assert all(len(column) == len(e.step) for e in kept if isinstance(e, MetricsEvent)
               for column in e.values.values())
    assert all(e.step <= upto for e in kept if isinstance(e, EpochEvent))
    assert read_journal(tmp_path / "nowhere", upto) == []
    assert read_meta(tmp_path / CHECKPOINT_NAME)["position"]["step"] > upto
