"""LayerLab's CUDA paths on a real GPU (`make gpu-check` runs them; without CUDA every
case is skipped): a run placed on the GPU, fp16 with its gradient scaler and the fused
optimizer, bf16, torch.compile with Triton, the peak memory a run reports, and a server
whose run failed on the GPU going on to train the next one there."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from app.nn import build_from_plan
from app.runs import run_local
from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService
from app.spec import SpecLimits, parse_network
from app.spec.events import EpochEvent, FinishedEvent, StartedEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.store import get_store
from app.train import Trainer
from app.train.session import check_training
from tests.runs.conftest import finished, wait_for

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]

CNN = parse_network({"input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 8, "activation": "relu"},
    {"id": "pool", "type": "maxpool2d"},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 10}]})


def _training(**settings: Any) -> TrainingSpec:
    return TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "epochs": 1, "batch_size": 128,
        "optimizer": {"name": "adam", "lr": 1e-3}, "device": "cuda", **settings})


def _train(training: TrainingSpec) -> tuple[FinishedEvent, list[TrainingEvent]]:
    events: list[TrainingEvent] = []
    final = run_local(CNN, training, events.append)
    return final, events


def test_a_run_on_auto_trains_on_the_gpu_and_reports_its_peak_memory() -> None:
    final, events = _train(_training(device="auto"))
    assert final.status == "completed", final.reason
    (started,) = [e for e in events if isinstance(e, StartedEvent)]
    assert started.device.startswith("cuda:0")
    epoch = next(e for e in events if isinstance(e, EpochEvent))
    assert epoch.memory_mb is not None and 0 < epoch.memory_mb < 4096
    assert final.metrics["test_accuracy"] > 0.8


def test_fp16_trains_through_its_scaler_with_the_fused_optimizer() -> None:
    training = _training(precision="fp16")
    checked = check_training(CNN, training)
    device = torch.device("cuda")
    trainer = Trainer(build_from_plan(checked.plan, device), checked.dataset.load(
        checked.options), training, checked.task, lambda _: None, device)
    assert trainer.speed.scaler is not None
    assert trainer.optimizer.defaults.get("fused") is True
    final, events = _train(training)
    assert final.status == "completed", final.reason
    losses = [e.metrics["train_loss"] for e in events if isinstance(e, EpochEvent)]
    assert losses and all(math.isfinite(loss) for loss in losses)


def test_bf16_trains_or_says_the_gpu_cannot() -> None:
    final, _ = _train(_training(precision="bf16"))
    if torch.cuda.is_bf16_supported():
        assert final.status == "completed", final.reason
    else:
        assert final.status == "failed" and "cannot compute in bf16" in (final.reason or "")


def test_compile_trains_with_triton() -> None:
    from torch.utils._triton import has_triton

    final, _ = _train(_training(compile=True, channels_last=True))
    if has_triton():
        assert final.status == "completed", final.reason
        assert final.metrics["test_accuracy"] > 0.8
    else:
        assert final.status == "failed" and "Triton" in (final.reason or "")


def test_a_run_that_fails_on_the_gpu_leaves_the_next_one_a_working_worker(
        tmp_path: Path) -> None:
    """A batch of some 400 GB of activations, let past the server's bound, runs the GPU
    out of memory and fails its run saying so; the next run on the same server trains
    on the GPU as usual: each run's worker is a process of its own."""
    store = get_store(f"sqlite:///{tmp_path / 'runs.db'}")
    service = RunService(store, ProcessExecutor(max_concurrent=1), tmp_path / "runs",
                         limits=SpecLimits(max_batch_activation_mb=10**7))
    wide = parse_network({"input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 1024, "padding": "same"},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 10}]})
    try:
        run = service.create(wide, _training(batch_size=65_536))
        failed = wait_for(service, run.id, finished)
        assert failed.status == "failed" and "memory" in (failed.error or "")
        run = service.create(CNN, _training())
        done = wait_for(service, run.id, finished)
        assert done.status == "completed", done.error
        assert (done.device or "").startswith("cuda")
    finally:
        service.close()
        store.close()
