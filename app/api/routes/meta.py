"""Rules of the server that clients follow along with, so that none keeps a copy."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.viewer import OptionalViewer
from app.runs.artifacts import BOUNDARY_RESOLUTION
from app.spec.events import (
    CONTINUABLE_STATUSES,
    FINAL_STATUSES,
    RESUMABLE_CAUSES,
    RESUMABLE_STATUSES,
    FailureCause,
    RunStatus,
)

router = APIRouter(tags=["meta"])


class MetaOut(BaseModel):
    statuses: list[RunStatus] = Field(description=(
        "Every status a run may have, from queued to its end: what GET /runs filters by."))
    final_statuses: list[RunStatus] = Field(description=(
        "A run in one of these has ended for good: its stream ends with its finished "
        "event and nothing follows (a paused or interrupted run may go on)."))
    continuable_statuses: list[RunStatus] = Field(description=(
        "A run in one of these is at rest with weights: it can be continued after an "
        "edit, and its weights can start another run."))
    resumable_statuses: list[RunStatus] = Field(description=(
        "A run in one of these resumes from its last checkpoint."))
    resumable_failures: list[FailureCause] = Field(description=(
        "A failed run whose `failure` is one of these resumes from its last checkpoint "
        "too (the disk or its worker failed, not its network)."))
    boundary_resolution: int = Field(description=(
        "Grid points per side of the decision boundaries a run streams; ask "
        "/inspect/boundary for the same to draw a run that no longer streams alike."))
    accounts: bool = Field(description=(
        "Whether users sign in as themselves (a classroom: GET /me says who); false on a "
        "single-user server."))


@router.get("/meta")
def get_meta(viewer: OptionalViewer) -> MetaOut:
    """The server's run statuses by what they allow, the stream's boundary resolution,
    and whether it has accounts."""
    return MetaOut(statuses=list(get_args(RunStatus)), final_statuses=sorted(FINAL_STATUSES),
                   continuable_statuses=sorted(CONTINUABLE_STATUSES),
                   resumable_statuses=sorted(RESUMABLE_STATUSES),
                   resumable_failures=sorted(RESUMABLE_CAUSES),
                   boundary_resolution=BOUNDARY_RESOLUTION, accounts=viewer is not None)
