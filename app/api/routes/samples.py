"""A GAN's sample grids: what its generator made of one fixed noise batch as it trained."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import InspectorDep
from app.api.routes.inspect import ERRORS
from app.runs.gan_samples import SamplesOut

router = APIRouter(prefix="/runs/{run_id}/inspect", tags=["inspect"])


@router.get("/samples", responses=ERRORS)
def inspect_samples(run_id: str, inspector: InspectorDep,
                    step: Annotated[int | None, Query(ge=0, le=10**9, description=(
                        "The grid drawn at this step (see `steps`); default: the latest."
                    ))] = None,
                    real: Annotated[bool, Query(description=(
                        "Also send as many real training samples, to compare."))] = False
                    ) -> SamplesOut:
    """A GAN's samples from its fixed noise at one step, and the steps that have a grid."""
    return inspector.samples(run_id, step, real)
