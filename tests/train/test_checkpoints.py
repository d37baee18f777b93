"""Checkpoints: atomic safetensors files; resuming gives the same weights exactly."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from app.spec.events import CheckpointEvent
from app.train import CHECKPOINT_NAME, Control
from app.train.checkpoint import load_checkpoint, read_meta
from tests.train.conftest import TrainFn, config


class PauseAt(Control):
    """Requests a pause at the n-th report point."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def requested(self) -> Any:
        self.calls += 1
        return "pause" if self.calls == self.n else None


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name


CFG: dict[str, Any] = {"epochs": 4, "schedule": {"name": "step", "step_size": 1, "gamma": 0.7},
                       "early_stopping": {"enabled": True, "patience": 10}}


@pytest.mark.parametrize("pause_at", [1, 5, 6])  # 3 reports an epoch: 6 ends epoch 2
def test_pause_then_resume_equals_uninterrupted(train: TrainFn, tmp_path: Path,
                                                pause_at: int) -> None:
    cfg = config(**CFG)
    reference, _, uninterrupted = train(cfg)
    paused, _, _ = train(cfg, checkpoint_dir=tmp_path, control=PauseAt(pause_at))
    assert paused.status == "paused"
    paused_epoch = read_meta(tmp_path / CHECKPOINT_NAME)["position"]["epoch"]
    resumed, events, model = train(cfg, checkpoint_dir=tmp_path,
                                   resume=tmp_path / CHECKPOINT_NAME)
    assert resumed.status == "completed"
    assert resumed.metrics == reference.metrics
    _same_weights(model, uninterrupted)
    assert events[0].start_epoch == paused_epoch


def test_resume_from_an_epoch_checkpoint(train: TrainFn, tmp_path: Path) -> None:
    """A server restart resumes from the last epoch's checkpoint."""
    cfg = config(**CFG)
    kept = tmp_path / "after-epoch-2.safetensors"

    def keep_second(event: object) -> None:  # what a crash after epoch 2 would leave
        if isinstance(event, CheckpointEvent) and event.epoch == 2:
            shutil.copy(tmp_path / CHECKPOINT_NAME, kept)

    _, events, uninterrupted = train(cfg, checkpoint_dir=tmp_path, hook=keep_second,
                                     checkpoint_every=0.0)
    assert [e.epoch for e in events if isinstance(e, CheckpointEvent)] == [1, 2, 3, 4, 4]
    assert read_meta(kept)["position"]["epoch"] == 2
    _, _, resumed = train(cfg, resume=kept)
    _same_weights(resumed, uninterrupted)


def test_checkpoint_is_safetensors_with_json_meta(train: TrainFn, tmp_path: Path) -> None:
    train(config(epochs=1), checkpoint_dir=tmp_path)
    path = tmp_path / CHECKPOINT_NAME
    assert path.read_bytes()[8:9] == b"{"  # safetensors: 8-byte header length, JSON header
    assert (tmp_path / "checkpoint.json").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # no temp file left behind
    checkpoint = load_checkpoint(path)
    assert set(checkpoint.model) == {"h.0.weight", "h.0.bias", "out.weight", "out.bias"}
    assert checkpoint.optimizer["param_groups"][0]["lr"] == pytest.approx(0.01)
    assert "rng.torch" in checkpoint.tensors


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not a LayerLab checkpoint"):
        load_checkpoint(path)
