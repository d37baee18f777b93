"""A run's device-side speed settings: mixed precision (autocast, and a gradient scaler
for fp16), the channels_last memory format and torch.compile. The trainer keeps the
plain module for everything but the training forward pass, so checkpoints, exports,
inspection and early stopping's best weights never see a compiled wrapper (whose
state_dict keys carry an `_orig_mod.` prefix).

What a device cannot do fails the run with a reason that names the setting: what is
known before training (no autocast on the device, no compiler for torch.compile) when
the trainer is set up, the rest (an operation without a bf16 kernel on this CPU, say)
at the run's first step."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch

from app.spec.training import TrainingSpec
from app.train.devices import out_of_memory

LOW_PRECISION = {"bf16": torch.bfloat16, "fp16": torch.float16}
CXX_COMPILERS = ("g++", "c++", "clang++")


class SpeedSettingError(ValueError):
    """The run's device cannot train this network with one of its speed settings."""


@dataclass
class Speed:
    """How the training steps run: `forward` is the compiled module or the module itself,
    called in the `autocast` context (a no-op in fp32); `scaler` is set for fp16."""

    device: torch.device
    precision: str
    channels_last: bool
    forward: Callable[[torch.Tensor], torch.Tensor]
    compiled: bool
    autocast: AbstractContextManager[Any]
    scaler: torch.amp.GradScaler | None

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        """Image batches in the memory format the model's weights are in."""
        if self.channels_last and x.dim() == 4:
            return x.contiguous(memory_format=torch.channels_last)  # (N, C, H, W), NHWC strides
        return x

    def optimize(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                 params: Iterable[torch.nn.Parameter], clip: float | None) -> None:
        """Backward and update, clipping the gradient norm of `params` to `clip`; in fp16
        through the gradient scaler (the gradients unscaled before clipping, a step with
        inf or NaN gradients skipped)."""
        scaler = self.scaler
        optimizer.zero_grad(set_to_none=True)
        (loss if scaler is None else scaler.scale(loss)).backward()
        if clip is not None:
            if scaler is not None:
                scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, clip)
        if scaler is None:
            optimizer.step()
        else:
            scaler.step(optimizer)
            scaler.update()

    def explain(self, exc: BaseException) -> str | None:
        """Why the first training step failed, if a speed setting may be the cause."""
        tried = ([f"precision {self.precision}"] if self.precision != "fp32" else []) + (
            ["compile"] if self.compiled else [])
        if not tried or out_of_memory(exc):
            return None
        fixes = (["precision to fp32"] if self.precision != "fp32" else []) + (
            ["compile to false"] if self.compiled else [])
        first = next((line.strip().rstrip(".") for line in str(exc).splitlines()
                      if line.strip()), type(exc).__name__)
        return (f"the first training step with {' and '.join(tried)} failed on "
                f"{self.device.type}: {first[:300]}. This device cannot train the network "
                f"that way: set {' or '.join(fixes)}")


def prepare(model: torch.nn.Module, config: TrainingSpec, device: torch.device) -> Speed:
    """Check the settings against the device, put the model's weights in their memory
    format and compile its forward pass. Raises SpeedSettingError."""
    check_device(config, device)
    if config.channels_last:
        # 4-D weights only, others unchanged (Module.to's stubs lack memory_format)
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    forward: Callable[[torch.Tensor], torch.Tensor] = model
    if config.compile:
        forward = torch.compile(model)
    autocast: AbstractContextManager[Any] = nullcontext()
    if config.precision in LOW_PRECISION:  # one context, entered at every step
        autocast = torch.autocast(device.type, dtype=LOW_PRECISION[config.precision])
    scaler = torch.amp.GradScaler(device.type) if config.precision == "fp16" else None
    return Speed(device, config.precision, config.channels_last, forward, config.compile,
                 autocast, scaler)


def check_device(config: TrainingSpec, device: torch.device) -> None:
    """What the device lacks for the settings, known before training."""
    where = device.type
    if config.precision != "fp32" and not torch.amp.is_autocast_available(where):
        raise SpeedSettingError(f"precision {config.precision} needs autocast, which PyTorch "
                                f"does not offer on {where}: set precision to fp32")
    if config.precision == "bf16" and where == "cuda" and not torch.cuda.is_bf16_supported():
        raise SpeedSettingError(f"this GPU ({torch.cuda.get_device_name(device)}) cannot "
                                "compute in bf16: set precision to fp16 or fp32")
    if config.compile and where == "cpu" and not any(map(shutil.which, CXX_COMPILERS)):
        raise SpeedSettingError("compile on the CPU needs a C++ compiler (g++ or clang++) "
                                "where the worker runs: install one or set compile to false")
    if config.compile and where == "cuda" and not _has_triton():
        raise SpeedSettingError("compile on CUDA needs Triton, which this PyTorch install "
                                "lacks: install it or set compile to false")


def _has_triton() -> bool:
    from torch.utils._triton import has_triton

    return bool(has_triton())


def optimizer_fusable(device: torch.device) -> bool:
    """The fused optimizer wherever there is one (SGD, Adam, AdamW on the CPU and CUDA):
    one kernel per step over every parameter; on two CPU cores Adam's steps take a third
    less time than the per-tensor loop's, and fp16's gradient scaler checks its inf/NaN
    flag on the device (the others need a host sync per step for it)."""
    return device.type in ("cpu", "cuda")


def cpu_bf16_units() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX tiles), where
    precision bf16 pays: the Keras CNN preset's steps with channels_last take a third of
    their fp32 time on a 2-core AMX Xeon. Elsewhere PyTorch emulates bf16, often slower."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def reset_peak_memory(device: torch.device) -> None:
    """Count the peak from now on (CUDA; a process's peak RSS cannot be reset)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float | None:
    """The run's peak memory so far in MB (2^20 bytes): CUDA's most allocated since
    `reset_peak_memory`, or on the CPU this process's peak resident set size. A host
    call either way: no device sync."""
    if device.type == "cuda":
        return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    if device.type == "cpu" and sys.platform != "win32":
        import resource  # Unix only

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB; bytes on macOS
        return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
    return None
