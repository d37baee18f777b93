"""What a user's new run must keep to, on a server with accounts: their GPU time left,
and the locked fields of the assignment it is for."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.requests import HTTPConnection

from app.api.viewer import Viewer, get_classroom, visible
from app.classroom.marking import LockedField, check_locks
from app.classroom.service import NotFound
from app.runs.service import RunRecord, RunService
from app.settings import Settings
from app.spec import NetworkSpec
from app.spec.origin import InitFrom
from app.spec.training import TrainingSpec


def admit(conn: HTTPConnection, viewer: Viewer | None, network: NetworkSpec,
          training: TrainingSpec, assignment_id: str | None = None,
          init_from: InitFrom | None = None) -> None:
    """Refuse a run the user may not start: 404 for a transfer from a run they do not
    see or an assignment not theirs, 422 for a locked field changed, 429 past their GPU
    time (check_gpu_time)."""
    runs: RunService = conn.app.state.runs
    if init_from is not None and init_from.run_id is not None:
        source = runs.get(init_from.run_id)  # RunNotFound: a 404
        if not visible(conn, viewer, source.owner):
            raise HTTPException(404, f"no run {init_from.run_id!r}")
    if viewer is None:
        if assignment_id is not None:
            raise HTTPException(404, "this server has no accounts, so no assignments")
        return
    if assignment_id is not None:
        try:
            assignment = get_classroom(conn).assignment(viewer.user, assignment_id)
            check_locks(assignment, network, training)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        except LockedField as exc:
            raise HTTPException(422, str(exc)) from None
    check_gpu_time(conn, viewer)


def check_gpu_time(conn: HTTPConnection, viewer: Viewer | None) -> None:
    """429 when the user's runs have had their GPU time (LAYERLAB_GPU_MINUTES_PER_USER):
    the runs they keep, and those they deleted. For every way a run starts or goes on:
    a new run, a continuation, a resume, a sweep."""
    settings: Settings = conn.app.state.settings
    if viewer is None or settings.gpu_minutes_per_user is None:
        return
    runs: RunService = conn.app.state.runs
    deleted = get_classroom(conn).gpu_seconds_deleted(viewer.user.id)
    used = (runs.gpu_seconds(viewer.user.id) + deleted) / 60
    if used >= settings.gpu_minutes_per_user:
        raise HTTPException(429, f"your runs have used {used:.0f} of your "
                                 f"{settings.gpu_minutes_per_user:g} GPU minutes")


def keep_gpu_time(conn: HTTPConnection, viewer: Viewer | None, run: RunRecord) -> None:
    """Once a user's run is deleted: its GPU time stays on their account, so that
    deleting runs gives none back."""
    if viewer is None:
        return
    seconds = gpu_duration(run)
    if run.owner is not None and seconds:
        get_classroom(conn).keep_gpu_seconds(run.owner, seconds)


def gpu_duration(run: RunRecord) -> float:
    """How long a run trained on a GPU (0 on the CPU, or while it has not ended)."""
    if not (run.device or "").startswith("cuda") or not run.started_at or not run.finished_at:
        return 0.0
    return max(0.0, (run.finished_at - run.started_at).total_seconds())
