from __future__ import annotations

import torch
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

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


@router.get("/health", response_model=HealthOut)
def health(request: Request) -> HealthOut | JSONResponse:
    """Server status, version, PyTorch version and the devices training can use."""
    if request.app.state.settings.token:
        # Health stays open for probes even with a token; versions and devices would
        # tell anyone which known flaws to try, so only the status goes out.
        return JSONResponse({"status": "ok"})
    return HealthOut(status="ok", version=__version__, torch=torch.__version__,
                     devices=available_devices())
