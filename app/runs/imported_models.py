"""Networks imported from ONNX files, kept for runs to start from (`init_from` with an
`import_id`): `<uploads>/models/<id>/` holds `model.json` (the spec and what the import
found) and `weights.safetensors`. They count against the uploads' quota with the tables
and image folders, and are written whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from app.datasets.uploads import (
    FREE_SPACE,
    UploadNotFound,
    UploadQuotaExceeded,
    uploads_dir,
    used_bytes,
    writing,
)
from app.nn.onnx_import import Imported
from app.spec import NetworkSpec
from app.spec.network import parse_network

RECORD = "model.json"
WEIGHTS = "weights.safetensors"


@dataclass(frozen=True)
class ImportedModel:
    """An imported network as stored: what a client lists and a run starts from."""

    id: str
    name: str
    filename: str
    spec: NetworkSpec
    carried: bool
    fresh: tuple[str, ...]
    max_error: float
    size: int  # bytes on disk
    created_at: datetime


def models_dir() -> Path:
    return uploads_dir() / "models"


def save_import(imported: Imported, name: str, filename: str,
                quota_bytes: int) -> ImportedModel:
    """Store an import under a new id; UploadQuotaExceeded with nothing written when the
    uploads would go over their quota."""
    weights = save({k: v.contiguous() for k, v in imported.state.items()})
    model = ImportedModel(uuid.uuid4().hex, name, filename, imported.spec, imported.carried,
                          tuple(imported.fresh), imported.max_error, len(weights),
                          datetime.now(UTC))
    record = json.dumps(_record(model)).encode()
    with writing:
        used = used_bytes()
        if used + len(weights) + len(record) > quota_bytes:
            raise UploadQuotaExceeded(
                f"the uploads take {used:,} of their {quota_bytes:,}-byte quota; this "
                f"network's {len(weights):,} bytes of weights would go over it: {FREE_SPACE}")
        part = models_dir() / f".{model.id}.part"
        try:
            part.mkdir(parents=True)
            (part / WEIGHTS).write_bytes(weights)
            (part / RECORD).write_bytes(record)
            os.replace(part, models_dir() / model.id)  # readers never see half a model
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
    return model


def imported_model(model_id: str) -> ImportedModel:
    """A stored import by id (which must match UPLOAD_ID); UploadNotFound."""
    folder = models_dir() / model_id
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        size = (folder / WEIGHTS).stat().st_size
    except FileNotFoundError:
        raise UploadNotFound(f"no imported network {model_id!r}") from None
    return ImportedModel(model_id, data["name"], data["filename"],
                         parse_network(data["spec"]), bool(data["carried"]),
                         tuple(data["fresh"]), float(data["max_error"]), size,
                         datetime.fromisoformat(data["created_at"]))


def imported_weights(model_id: str) -> dict[str, torch.Tensor]:
    """The weights a run starts from; UploadNotFound."""
    path = models_dir() / model_id / WEIGHTS
    if not path.is_file():
        raise UploadNotFound(f"no imported network {model_id!r}")
    return load_file(path)


def list_imports() -> list[ImportedModel]:
    """Every stored import, newest first."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        try:
            found.append(imported_model(path.name))
        except UploadNotFound:  # deleted meanwhile
            continue
    return sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)


def delete_import(model_id: str) -> None:
    """Remove a stored import; UploadNotFound when there is none."""
    imported_model(model_id)
    shutil.rmtree(models_dir() / model_id)


def _record(model: ImportedModel) -> dict[str, object]:
    return {"name": model.name, "filename": model.filename,
            "spec": model.spec.model_dump(mode="json"), "carried": model.carried,
            "fresh": list(model.fresh), "max_error": model.max_error,
            "created_at": model.created_at.isoformat()}
