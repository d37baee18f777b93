"""The speed settings (precision, channels_last, compile) train real networks on the CPU;
each epoch reports the run's peak memory; what a device cannot do is refused, naming
the setting."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from pydantic import ValidationError
from torch._dynamo.utils import counters

from app.datasets.base import DatasetInfo, TensorData
from app.runs import run_local
from app.spec import parse_network
from app.spec.events import EpochEvent, MetricsEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME, SpeedSettingError
from app.train.checkpoint import load_checkpoint
from app.train.speed import check_device, cpu_bf16_units
from tests.train.conftest import TrainFn, config
from tests.train.test_checkpoints import PauseAt
from tests.train.test_gan import TINY_GAN
from tests.train.test_gan import training as gan_training


def image_data(n: int = 320) -> TensorData:
    """8x8 grey images: is the top half brighter than the bottom?"""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(n, 1, 8, 8, generator=g)
    y = (x[:, :, :4].mean((1, 2, 3)) > x[:, :, 4:].mean((1, 2, 3))).long()
    cut = n * 3 // 4
    info = DatasetInfo("halves", "brighter half", ("classification",), (1, 8, 8),
                       num_classes=2, splits={"train": cut, "test": n - cut})
    return TensorData(info, x[:cut], y[:cut], x[cut:], y[cut:])


CNN = {"input": {"shape": [1, 8, 8]}, "layers": [
    {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
     "activation": "relu"},
    {"id": "norm", "type": "batchnorm"},
    {"id": "pool", "type": "maxpool2d", "pool_size": 2},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 2},
]}


def cnn_config(**overrides: Any) -> TrainingSpec:
    return config(**({"dataset": {"name": "halves"}, "epochs": 3} | overrides))


def losses(events: list[Any]) -> list[float]:
    return [v for e in events if isinstance(e, MetricsEvent) for v in e.values["train_loss"]]


def epochs_of(events: list[Any]) -> list[EpochEvent]:
    return [e for e in events if isinstance(e, EpochEvent)]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("network", ["mlp", "cnn"])
def test_mixed_precision_trains_on_the_cpu(train: TrainFn, precision: str,
                                           network: str) -> None:
    if network == "mlp":
        final, events, model = train(config(epochs=4, precision=precision))
    else:
        final, events, model = train(cnn_config(precision=precision), data=image_data(),
                                     spec=CNN)
    assert final.status == "completed"
    steps = losses(events)
    assert steps and all(math.isfinite(v) for v in steps)
    assert epochs_of(events)[-1].metrics["train_loss"] < epochs_of(events)[0].metrics[
        "train_loss"]
    assert all(math.isfinite(v) for v in final.metrics.values())
    # the weights stay fp32: autocast computes in low precision, it does not store it
    assert {p.dtype for p in model.parameters()} == {torch.float32}


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_a_gan_trains_in_mixed_precision(precision: str) -> None:
    """Both sides' forward passes in low precision, each update through the scaler in
    fp16 (unscaled before clipping), the image batches channels_last."""
    events: list[TrainingEvent] = []
    cfg = gan_training(precision=precision, channels_last=True, grad_clip=1.0, epochs=2)
    final = run_local(parse_network(TINY_GAN), cfg, events.append)
    assert final.status == "completed", final.reason
    columns = [e.values for e in events if isinstance(e, MetricsEvent)]
    for name in ("train_loss", "train_discriminator", "train_generator", "train_d_real"):
        assert all(math.isfinite(v) for c in columns for v in c[name]), name
    assert all(e.memory_mb for e in epochs_of(events))


def test_mixed_precision_follows_fp32_closely(train: TrainFn) -> None:
    """bf16 has an 8-bit mantissa: the curve wanders from fp32's a little, not a lot."""
    full = losses(train(config(epochs=2))[1])
    half = losses(train(config(epochs=2, precision="bf16"))[1])
    assert len(full) == len(half)
    assert max(abs(a - b) for a, b in zip(full, half, strict=True)) < 0.05


def test_fp16_checkpoints_its_gradient_scaler(train: TrainFn, tmp_path: Path) -> None:
    train(config(epochs=1, precision="fp16"), checkpoint_dir=tmp_path)
    scaler = load_checkpoint(tmp_path / CHECKPOINT_NAME).meta["scaler"]
    assert scaler["scale"] > 1.0


def test_channels_last_gives_the_same_curve(train: TrainFn) -> None:
    plain = train(cnn_config(), data=image_data(), spec=CNN)
    last = train(cnn_config(channels_last=True), data=image_data(), spec=CNN)
    assert losses(last[1]) == pytest.approx(losses(plain[1]), abs=1e-4)
    assert last[0].metrics == pytest.approx(plain[0].metrics, abs=1e-4)
    weight = last[2].get_submodule("conv.0").weight  # the conv before its activation
    assert weight.is_contiguous(memory_format=torch.channels_last)


def test_channels_last_leaves_a_network_without_images_alone(train: TrainFn) -> None:
    plain, plain_events, _ = train(config(epochs=2))
    last, last_events, _ = train(config(epochs=2, channels_last=True))
    assert losses(last_events) == losses(plain_events) and last.metrics == plain.metrics


def test_each_epoch_reports_the_peak_memory(train: TrainFn) -> None:
    _, events, _ = train(config(epochs=3))
    peaks = [e.memory_mb for e in epochs_of(events)]
    assert all(p is not None and p > 10 for p in peaks)  # a process with PyTorch loaded
    assert peaks == sorted(peaks)  # the run's peak so far: it never falls
    assert all("memory" not in name for e in epochs_of(events) for name in e.metrics)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_a_compiled_run_checkpoints_the_plain_network(train: TrainFn, tmp_path: Path) -> None:
    """torch.compile wraps the module (its state_dict keys gain '_orig_mod.'): the run
    saves and restores through the plain one, so a run without compile resumes it and
    early stopping's best weights load back."""
    stopping = {"enabled": True, "patience": 10, "restore_best": True}
    compiled = cnn_config(compile=True, epochs=2, early_stopping=stopping)
    graphs = counters["stats"]["unique_graphs"]
    paused, _, _ = train(compiled, data=image_data(), spec=CNN, checkpoint_dir=tmp_path,
                         control=PauseAt(3))  # in epoch 2
    assert paused.status == "paused"
    assert counters["stats"]["unique_graphs"] > graphs  # it did train through dynamo
    saved = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert saved.best is not None
    assert not [k for k in [*saved.model, *saved.best] if "_orig_mod" in k]
    plain = cnn_config(epochs=2, early_stopping=stopping)
    resumed, events, _ = train(plain, data=image_data(), spec=CNN, checkpoint_dir=tmp_path,
                               resume=tmp_path / CHECKPOINT_NAME)
    assert resumed.status == "completed"
    assert all(math.isfinite(v) for v in losses(events))
    assert resumed.metrics["test_accuracy"] > 0.5


def test_compile_is_refused_for_a_gan() -> None:
    with pytest.raises(ValidationError, match="compile is not available for task gan"):
        TrainingSpec.model_validate({"dataset": {"name": "x"}, "task": "gan", "compile": True})


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValidationError, match="precision"):
        TrainingSpec.model_validate({"dataset": {"name": "x"}, "precision": "fp8"})


def test_compile_without_a_cxx_compiler_is_refused_before_training(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a worker where no compiler is installed
    with pytest.raises(SpeedSettingError, match=r"C\+\+ compiler.*set compile to false"):
        check_device(config(compile=True), torch.device("cpu"))


def test_an_operation_without_a_low_precision_kernel_names_the_setting(train: TrainFn) -> None:
    """oneDNN's LSTM has no fp16 kernel on most CPUs: the run fails at its first step
    saying which setting to change (where the CPU has one, it trains)."""
    spec = {"input": {"shape": [4, 2]}, "layers": [
        {"id": "rnn", "type": "lstm", "hidden_size": 8},
        {"id": "out", "type": "dense", "units": 2}]}
    data = circle_sequences()
    try:
        final, _, _ = train(config(epochs=1, precision="fp16"), data=data, spec=spec)
    except SpeedSettingError as exc:
        assert "precision fp16" in str(exc) and "set precision to fp32" in str(exc)
    else:
        assert final.status == "completed"


def circle_sequences(n: int = 200) -> TensorData:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(n, 4, 2, generator=g)
    y = (x.pow(2).sum((1, 2)) < 8.0).long()
    cut = n * 3 // 4
    info = DatasetInfo("walks", "short walks", ("classification",), (4, 2), num_classes=2,
                       splits={"train": cut, "test": n - cut})
    return TensorData(info, x[:cut], y[:cut], x[cut:], y[cut:])


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="Linux's CPU flags")
def test_bf16_units_are_the_cpu_flags_linux_reports() -> None:
    flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("flags")).split()
    assert cpu_bf16_units() == ("avx512_bf16" in flags or "amx_tile" in flags)
