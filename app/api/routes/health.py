from __future__ import annotations

import torch
from fastapi import APIRouter, Request

from app import __version__
from app.api.schemas import HealthOut

router = APIRouter(tags=["health"])


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


@router.get("/health", response_model_exclude_none=True)
def health(request: Request) -> HealthOut:
    """Server status, version, PyTorch version and the devices training can use (with a
    token set, the status alone: health stays open for probes)."""
    if request.app.state.settings.token:
        return HealthOut(status="ok")
    return HealthOut(status="ok", version=__version__, torch=torch.__version__,
                     devices=available_devices())
