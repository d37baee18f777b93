"""Checkpoints: one safetensors file holding model, optimizer, RNG and best weights,
with the trainer state as JSON in its header. Written atomically, the one before kept
beside it; a digest of the tensors in the header catches damage; loading never
unpickles anything.

A checkpoint also carries the network spec and training settings it was trained with
(as nanoGPT keeps `model_args`), so the file alone rebuilds its model: see trained_with."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from pydantic import ValidationError
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from app.spec import NetworkSpec
from app.spec.errors import describe_validation
from app.spec.training import TrainingSpec

FORMAT = "layerlab-checkpoint-1"
M = TypeVar("M", NetworkSpec, TrainingSpec)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: truncated, damaged or not LayerLab's."""


@dataclass
class Checkpoint:
    """model/best: state dicts; optimizer: torch's optimizer state_dict; meta: JSON-able."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    best: dict[str, torch.Tensor] | None = None


@dataclass(frozen=True)
class TrainedWith:
    """What a checkpoint's model was trained with: enough to rebuild it on its own."""

    network: NetworkSpec
    training: TrainingSpec

    def meta(self) -> dict[str, Any]:
        """The entries a checkpoint's trainer state holds them in."""
        return {"network": self.network.model_dump(mode="json"),
                "training": self.training.model_dump(mode="json")}


def trained_with(meta: dict[str, Any], name: str) -> TrainedWith:
    """The network and settings recorded in a checkpoint's trainer state (`name` is the
    file's, for errors). Raises CheckpointError for a checkpoint written before
    checkpoints carried them (it still resumes: only rebuilding it alone needs them)."""
    if "network" not in meta or "training" not in meta:
        raise CheckpointError(f"{name} was written before checkpoints carried their network "
                              "and training settings: export it through the server that "
                              "trained it (`layerlab runs export RUN_ID FORMAT`)")
    return TrainedWith(_parsed(NetworkSpec, meta["network"], name),
                       _parsed(TrainingSpec, meta["training"], name))


def _parsed(model: type[M], data: Any, name: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CheckpointError(f"{name} holds a {model.__name__} this version cannot read: "
                              f"{describe_validation(exc, data)}") from None


def previous_path(path: Path) -> Path:
    """Where the checkpoint written before `path`'s current one is kept."""
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write atomically (temp file, fsync, rename, fsync the folder); the checkpoint it
    replaces becomes previous_path(path). A failed write (a full disk, say) raises
    OSError and leaves both files as they were."""
    tensors = {f"model.{k}": v for k, v in checkpoint.model.items()}
    tensors |= {f"extra.{k}": v for k, v in checkpoint.tensors.items()}
    if checkpoint.best is not None:
        tensors |= {f"best.{k}": v for k, v in checkpoint.best.items()}
    optimizer_meta, optimizer_tensors = _split_optimizer(checkpoint.optimizer)
    tensors |= optimizer_tensors
    meta = {**checkpoint.meta, "optimizer": optimizer_meta, "has_best": checkpoint.best is not None}
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    text = json.dumps(meta)
    payload = save_tensors(tensors, metadata={"format": FORMAT, "meta": text,
                                              "digest": _digest(tensors, text)})
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, payload, keep=previous_path(path))
    _atomic_write(path.with_suffix(".json"), json.dumps(meta, indent=2).encode())


def _header(path: Path) -> dict[str, str]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
    except SafetensorError as exc:
        raise CheckpointError(f"{path.name} is damaged or not a checkpoint ({exc})") from None
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a LayerLab checkpoint")
    return header


def _meta(path: Path, header: dict[str, str]) -> dict[str, Any]:
    try:
        meta = json.loads(header["meta"])
    except (KeyError, ValueError):
        meta = None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path.name} is damaged: its trainer state is unreadable")
    return meta


def read_meta(path: Path) -> dict[str, Any]:
    """The trainer state of a checkpoint, without reading its tensors."""
    return _meta(path, _header(path))


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by save_checkpoint (tensors on the CPU). Raises
    CheckpointError when it is truncated, damaged or foreign."""
    header = _header(path)
    meta = _meta(path, header)
    try:
        tensors = load_tensors(path.read_bytes())
    except SafetensorError as exc:
        raise CheckpointError(f"{path.name} is truncated or damaged ({exc})") from None
    if "digest" in header and _digest(tensors, header["meta"]) != header["digest"]:
        raise CheckpointError(f"{path.name} is damaged: its tensors do not match the "
                              "digest written with them")

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    try:
        optimizer = _join_optimizer(meta.pop("optimizer"), part("optim."))
        best = part("best.") if meta.pop("has_best") else None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path.name} is damaged: its optimizer state is unreadable "
                              f"({exc!r})") from None
    return Checkpoint(part("model."), optimizer, meta, part("extra."), best)


@dataclass
class Latest:
    """The newest usable checkpoint of a file and its previous one, and why any newer
    one was refused."""

    path: Path
    checkpoint: Checkpoint
    refused: list[str]


def load_latest(path: Path) -> Latest:
    """`path` if it loads, else its previous checkpoint. Raises FileNotFoundError when
    neither exists, CheckpointError (naming every cause) when none can be used."""
    refused: list[str] = []
    candidates = [p for p in (path, previous_path(path)) if p.exists()]
    if not candidates:
        raise FileNotFoundError(path)
    for candidate in candidates:
        try:
            return Latest(candidate, load_checkpoint(candidate), refused)
        except (CheckpointError, OSError) as exc:
            refused.append(str(exc))
    raise CheckpointError("; ".join(refused))


def _digest(tensors: dict[str, torch.Tensor], meta: str) -> str:
    """BLAKE2b over the trainer state and every tensor's name, dtype, shape and bytes."""
    hasher = hashlib.blake2b(meta.encode(), digest_size=16)
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        hasher.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        hasher.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return hasher.hexdigest()


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


def _atomic_write(path: Path, payload: bytes, keep: Path | None = None) -> None:
    """Write `payload` to a temp file, then move it over `path` (moving `path` to
    `keep` first). On any failure the temp file is removed and `path` is untouched."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if keep is not None and path.exists():
        os.replace(path, keep)
    os.replace(temp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
