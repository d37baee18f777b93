"""Which GPU a local run trains on: each run that may use one (device auto or cuda) is
placed on the least busy GPU with room, and waits in the queue while none has room; a
worker then sees only its GPU (CUDA_VISIBLE_DEVICES), as cuda:0."""

from __future__ import annotations

import os
from collections.abc import Mapping

from app.spec.training import TrainingSpec

VISIBLE = "CUDA_VISIBLE_DEVICES"


def visible_gpus(environment: Mapping[str, str] | None = None) -> int:
    """How many GPUs this process may use: the CUDA_VISIBLE_DEVICES it was given, else
    what PyTorch finds (0 without CUDA)."""
    listed = (os.environ if environment is None else environment).get(VISIBLE)
    if listed is not None:
        return len([gpu for gpu in listed.split(",") if gpu.strip()])
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


class GpuSlots:
    """`count` GPUs, each holding at most `per_gpu` runs at once."""

    def __init__(self, count: int, per_gpu: int = 1) -> None:
        self.per_gpu = per_gpu
        self.load = [0] * count

    def wants(self, training: TrainingSpec) -> bool:
        """Whether a run would train on a GPU here (and so needs a slot)."""
        return bool(self.load) and training.device in ("auto", "cuda")

    def take(self) -> int | None:
        """The least busy GPU with room (its index), counted as busier; None when all
        are full."""
        free = [gpu for gpu, runs in enumerate(self.load) if runs < self.per_gpu]
        if not free:
            return None
        gpu = min(free, key=lambda index: self.load[index])
        self.load[gpu] += 1
        return gpu

    def give_back(self, gpu: int) -> None:
        self.load[gpu] -= 1


def environment_for(gpu: int, environment: Mapping[str, str]) -> dict[str, str]:
    """A worker's environment that shows it only GPU `gpu` (an index among the GPUs this
    server may use, so a server given CUDA_VISIBLE_DEVICES=2,3 places on 2 and 3)."""
    listed = environment.get(VISIBLE)
    ids = [gpu.strip() for gpu in listed.split(",")] if listed else None
    return {**environment, VISIBLE: ids[gpu] if ids else str(gpu)}
