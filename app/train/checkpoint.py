"""Checkpoints: one safetensors file holding model, optimizer, RNG and best weights,
with the trainer state as JSON in its header. Written atomically; loading never
unpickles anything."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

FORMAT = "layerlab-checkpoint-1"


@dataclass
class Checkpoint:
    """model/best: state dicts; optimizer: torch's optimizer state_dict; meta: JSON-able."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    best: dict[str, torch.Tensor] | None = None


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write atomically: temp file, fsync, rename, fsync the folder."""
    tensors = {f"model.{k}": v for k, v in checkpoint.model.items()}
    tensors |= {f"extra.{k}": v for k, v in checkpoint.tensors.items()}
    if checkpoint.best is not None:
        tensors |= {f"best.{k}": v for k, v in checkpoint.best.items()}
    optimizer_meta, optimizer_tensors = _split_optimizer(checkpoint.optimizer)
    tensors |= optimizer_tensors
    meta = {**checkpoint.meta, "optimizer": optimizer_meta, "has_best": checkpoint.best is not None}
    payload = save_tensors({k: v.detach().cpu().contiguous() for k, v in tensors.items()},
                           metadata={"format": FORMAT, "meta": json.dumps(meta)})
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, payload)
    _atomic_write(path.with_suffix(".json"), json.dumps(meta, indent=2).encode())


def read_meta(path: Path) -> dict[str, Any]:
    """The trainer state of a checkpoint, without reading its tensors."""
    with safe_open(str(path), framework="pt") as handle:
        header = handle.metadata() or {}
    if header.get("format") != FORMAT:
        raise ValueError(f"{path.name} is not a LayerLab checkpoint")
    meta: dict[str, Any] = json.loads(header["meta"])
    return meta


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by save_checkpoint (tensors on the CPU)."""
    meta = read_meta(path)
    tensors = load_tensors(path.read_bytes())

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    optimizer = _join_optimizer(meta.pop("optimizer"), part("optim."))
    best = part("best.") if meta.pop("has_best") else None
    return Checkpoint(part("model."), optimizer, meta, part("extra."), best)


def _split_optimizer(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """torch's optimizer state_dict -> (JSON part, flat tensors)."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        plain[str(index)] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value
            else:
                plain[str(index)][name] = value
    return {"state": plain, "param_groups": state["param_groups"]}, tensors


def _join_optimizer(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in meta["state"].items()}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _atomic_write(path: Path, payload: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
