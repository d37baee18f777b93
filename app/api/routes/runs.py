from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from app.api.deps import PresetsDep, RunsDep
from app.api.downloads import attachment
from app.api.run_rules import admit, check_gpu_time, keep_gpu_time
from app.api.schemas import (
    ErrorOut,
    PresetRef,
    Responses,
    RunContinue,
    RunCreate,
    RunEdit,
    RunListOut,
    RunListQuery,
    RunOut,
    RunSummaryOut,
)
from app.api.viewer import OptionalViewer, owner_of, owners_seen
from app.nn.export import ExportFormat, FormatError, WeightsMismatch, export_model
from app.runs.run_metrics import FULL_ROWS, MetricColumns, MetricRangeTooLong
from app.runs.score import headline
from app.runs.service import RunQuery, RunRecord, RunService, RunStateError
from app.spec import NetworkSpec
from app.spec.presets import Preset, PresetTrainingError, given_fields, preset_settings
from app.spec.training import TrainingSpec
from app.train.session import training_note

router = APIRouter(prefix="/runs", tags=["runs"])
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No run has this id."}}
CONFLICT: Responses = {
    **NOT_FOUND, 409: {"model": ErrorOut, "description": "The run's status forbids it."}}
CONTROL: Responses = {**NOT_FOUND, 409: {
    "model": ErrorOut,
    "description": "The run's status forbids it, or another server trains it."}}


def _summary(run: RunRecord) -> RunSummaryOut:
    return RunSummaryOut(**run.model_dump(include=set(RunSummaryOut.model_fields)),
                         dataset=run.training.dataset.name, network=run.spec.name,
                         epochs=run.training.epochs, score=headline(run),
                         duration_s=_duration(run))


def _duration(run: RunRecord) -> float | None:
    """From its start to its end, or to now while it trains (None before it starts, and
    while it is paused or queued again)."""
    end = run.finished_at or (datetime.now(UTC) if run.status == "running" else None)
    if run.started_at is None or end is None:
        return None
    return max(0.0, (end - run.started_at).total_seconds())


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={422: {"model": ErrorOut, "description": "Invalid spec or config."}})
def create_run(body: RunCreate, request: Request, runs: RunsDep, presets: PresetsDep,
               viewer: OptionalViewer) -> RunOut:
    """Validate a network and training config, then queue the run; a preset without
    settings trains with its own. With `init_from`, it starts from another run's weights
    (its `origin` says which layers were taken). For an assignment, the fields it locks
    must keep the starter's values."""
    spec = resolve_model(body.model, presets)
    training = resolve_training(body.model, body.training, presets)
    admit(request, viewer, spec, training, body.assignment_id, body.init_from)
    run = runs.create(spec, training, body.name, body.init_from, owner=owner_of(viewer))
    return _out(runs, run)


def _out(runs: RunService, run: RunRecord) -> RunOut:
    return RunOut(**run.model_dump(), queue_position=runs.executor.queue_position(run.id)
                  if run.status == "queued" else None)


def resolve_model(spec: NetworkSpec | PresetRef, presets: dict[str, Preset]) -> NetworkSpec:
    """The network a request names: its own spec, or a preset's."""
    if isinstance(spec, PresetRef):
        if spec.preset not in presets:
            raise HTTPException(422, f"no preset named {spec.preset!r}; known: "
                                     f"{', '.join(presets)}")
        return presets[spec.preset].network
    return spec


def resolve_training(model: NetworkSpec | PresetRef, training: TrainingSpec | None,
                     presets: dict[str, Preset]) -> TrainingSpec:
    """The settings a request trains with (its model is resolved first): a spec's own, or
    a preset's with the request's laid over them (app.spec.presets.preset_settings)."""
    if isinstance(model, PresetRef):
        try:
            changes = None if training is None else given_fields(training)
            own = presets[model.preset].training if model.preset in presets else None
            return preset_settings(model.preset, own, changes)
        except PresetTrainingError as exc:
            raise HTTPException(422, str(exc)) from None
    if training is None or training.dataset is None:
        raise HTTPException(422, "training is required with a network spec: give at least "
                                 "its dataset, e.g. {\"dataset\": {\"name\": \"moons\"}}")
    if type(training) is TrainingSpec:
        return training
    return TrainingSpec.model_validate(given_fields(training))  # a request's TrainingChanges


@router.get("")
def list_runs(runs: RunsDep, query: Annotated[RunListQuery, Query()], request: Request,
              viewer: OptionalViewer) -> RunListOut:
    """Runs, newest first unless sorted otherwise, with the filters and search of the
    query, a page at a time, and how many it finds in all (`total`). On a server with
    accounts: the user's own, and a teacher's students'."""
    descending = (query.order or ("desc" if query.sort == "created" else "asc")) == "desc"
    found, total = runs.find_runs(RunQuery(
        status=query.status, dataset=query.dataset, task=query.task, text=query.q,
        created_after=query.created_after, created_before=query.created_before,
        sort=query.sort, descending=descending, limit=query.limit, offset=query.offset,
        owners=owners_seen(request, viewer)))
    return RunListOut(runs=[_summary(run) for run in found], total=total, limit=query.limit,
                      offset=query.offset)


@router.get("/{run_id}", responses=NOT_FOUND)
def get_run(run_id: str, runs: RunsDep) -> RunOut:
    """One run: spec, training config, status, timings, device, metrics, error; while
    it is queued, its place in the queue."""
    return _out(runs, runs.get(run_id))


@router.patch("/{run_id}", responses={
    **NOT_FOUND, 422: {"model": ErrorOut, "description": "A name, tag or note out of bounds."}})
def edit_run(run_id: str, body: RunEdit, runs: RunsDep) -> RunOut:
    """Rename a run, or set its tags or its description, whatever its status."""
    return RunOut(**runs.edit(run_id, body.name, body.tags, body.description).model_dump())


METRIC_POINTS = 2000  # values a metric by default: what a chart draws


@router.get("/{run_id}/metrics", responses={**NOT_FOUND, 422: {
    "model": ErrorOut, "description": "points 0 for a range of more steps than one answer "
                                      "holds at full resolution."}})
def get_metrics(run_id: str, runs: RunsDep, response: Response,
                names: Annotated[str | None, Query(max_length=2000,
                                                   description="Comma-separated.")] = None,
                since_step: Annotated[int | None, Query(
                    ge=-1, le=2**62, description="Only steps after this one.")] = None,
                until_step: Annotated[int | None, Query(
                    ge=0, le=2**62, description="Only steps up to this one.")] = None,
                points: Annotated[int, Query(ge=0, le=100_000, description=(
                    "At most this many values a metric, each one's lowest and highest of "
                    "every stretch of steps, when the steps asked for hold more; 0: every "
                    f"row, for at most {FULL_ROWS:,} steps (page with since_step and "
                    "until_step)."))] = METRIC_POINTS,
                ) -> MetricColumns:
    """Metrics as columns: {step: [...], epoch: [...], train_loss: [...], ...}, at a chart's
    resolution by default. Headers: X-Steps (the steps the range holds), X-Downsampled
    (true when values were left out) and X-Last-Step (the run's newest stored step)."""
    wanted = [n for n in names.split(",") if n] if names else None
    try:
        page = runs.metrics(run_id, names=wanted, since_step=since_step, until_step=until_step,
                            points=points)
    except MetricRangeTooLong as exc:
        raise HTTPException(422, str(exc)) from None
    response.headers["X-Steps"] = str(page.steps)
    response.headers["X-Downsampled"] = "true" if page.downsampled else "false"
    if page.last_step is not None:
        response.headers["X-Last-Step"] = str(page.last_step)
    return page.columns


@router.post("/{run_id}/stop", status_code=202, responses=CONTROL)
def stop_run(run_id: str, runs: RunsDep) -> RunOut:
    """Stop a queued, running or paused run (killed if it does not stop in time)."""
    runs.stop(run_id)
    return RunOut(**runs.get(run_id).model_dump())


@router.post("/{run_id}/pause", status_code=202, responses=CONTROL)
def pause_run(run_id: str, runs: RunsDep) -> RunOut:
    """Pause a running run; its weights are kept in a checkpoint."""
    runs.pause(run_id)
    return RunOut(**runs.get(run_id).model_dump())


@router.post("/{run_id}/resume", status_code=202, responses=CONFLICT)
def resume_run(run_id: str, runs: RunsDep, request: Request, viewer: OptionalViewer) -> RunOut:
    """Resume a paused or interrupted run from its last checkpoint, or a run that failed
    because of the disk or its worker (a 409 for one whose network failed)."""
    check_gpu_time(request, viewer)
    return RunOut(**runs.resume(run_id).model_dump())


@router.post("/{run_id}/continue", status_code=status.HTTP_201_CREATED, responses={
    **CONFLICT, 422: {"model": ErrorOut, "description": "The edit does not fit."}})
def continue_run(run_id: str, body: RunContinue, runs: RunsDep, presets: PresetsDep,
                 request: Request, viewer: OptionalViewer) -> RunOut:
    """Go on from a paused or ended run after editing its network or training settings:
    a new run, linked by its `origin`, keeps the weights of every layer whose id and
    shapes still match and counts steps and epochs on. The run itself is left as is."""
    check_gpu_time(request, viewer)
    spec = resolve_model(body.model, presets) if body.model is not None else None
    return _out(runs, runs.continue_run(run_id, spec, body.training, body.name,
                                        owner=owner_of(viewer)))


EXPORT_FILES: Responses = {200: {"description": "The exported file.", "content": {
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/{run_id}/export/{fmt}", responses={**CONFLICT, **EXPORT_FILES},
            response_class=Response)
def export_run(run_id: str, fmt: ExportFormat, runs: RunsDep) -> Response:
    """The trained network: pytorch (zip: code, weights, README), safetensors, onnx or
    torchscript."""
    run = runs.get(run_id)
    try:
        exported = export_model(run.spec, runs.weights(run_id), fmt, name=run.name,
                                limits=runs.limits, training_note=training_note(
                                    run.spec, run.training, runs.limits))
    except WeightsMismatch as exc:  # the run's stored weights are not its network's
        raise RunStateError(f"run {run_id} cannot be exported: {exc}") from None
    except FormatError as exc:
        raise HTTPException(422, f"{exc}; another format may work") from None
    return Response(exported.data, media_type=exported.media_type, headers={
        "Content-Disposition": attachment(exported.filename, run.name)})


@router.delete("/{run_id}", status_code=204, responses=CONFLICT)
def delete_run(run_id: str, runs: RunsDep, request: Request, viewer: OptionalViewer
               ) -> Response:
    """Delete a run that is not active: its rows and its files."""
    run = runs.get(run_id)
    runs.delete(run_id)
    keep_gpu_time(request, viewer, run)
    return Response(status_code=204)
