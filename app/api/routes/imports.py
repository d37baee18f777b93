"""Networks imported from ONNX files: open one in the editor, start runs from its weights."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.deps import LimitsDep, read_body
from app.api.schemas import ErrorOut, IssueOut
from app.datasets.uploads import UPLOAD_ID, UploadNotFound, UploadQuotaExceeded
from app.nn.onnx_import import OnnxImportError, OnnxReadError, UnsupportedModel, import_onnx
from app.runs.imported_models import (
    ImportedModel,
    delete_import,
    imported_model,
    list_imports,
    save_import,
)
from app.settings import Settings
from app.spec import NetworkSpec

router = APIRouter(prefix="/imports", tags=["imports"])
ONNX_PATH = "/imports/onnx"
ONNX_TYPE = "application/octet-stream"
MAX_ONNX_UPLOAD = 256 * 2**20
"""An ONNX file's largest upload: a network at the default parameter limit (50 million
float32 weights) is 200 MB."""
ImportId = Annotated[str, Path(pattern=UPLOAD_ID, description="The id the import returned.")]


class ImportOut(BaseModel):
    """An imported network: open `network` in the editor and start a run from its weights
    with `init_from: {import_id: id}`."""

    id: str
    name: str
    filename: str
    network: NetworkSpec
    carried: bool = Field(description="True: the file was exported by LayerLab and carried "
                                      "its spec; false: converted operator by operator.")
    fresh: list[str] = Field(description="Layers the file holds no weights for (they do not "
                                         "reach its output): they start fresh.")
    max_error: float = Field(description="The largest difference between the network's "
                                         "outputs and the file's on a check batch.")
    size: int = Field(description="Bytes of weights kept.")
    created_at: datetime


def _out(model: ImportedModel) -> ImportOut:
    return ImportOut(id=model.id, name=model.name, filename=model.filename, network=model.spec,
                     carried=model.carried, fresh=list(model.fresh),
                     max_error=model.max_error, size=model.size, created_at=model.created_at)


@router.post("/onnx", status_code=201, response_model=ImportOut, responses={
    413: {"model": ErrorOut, "description": "The file is over the size limit, or the "
          "uploads would go over their quota."},
    422: {"model": ErrorOut, "description": "Not an ONNX model, or one with operators no "
          "layer expresses (each named in `errors`, with its node), or one whose "
          "converted network does not compute what the file does."}},
    openapi_extra={"requestBody": {"required": True, "content": {
        ONNX_TYPE: {"schema": {"type": "string", "format": "binary",
                               "description": "An .onnx file's bytes."}}}}})
async def import_onnx_file(
    request: Request, limits: LimitsDep,
    name: Annotated[str | None, Query(max_length=120, description=(
        "The network's name; default: the file name without .onnx."))] = None,
    filename: Annotated[str, Query(max_length=255, description=(
        "The file's name, kept to show where the network came from."))] = "model.onnx",
) -> ImportOut | JSONResponse:
    """Import a network from an ONNX file (the raw file as the body). Each operator becomes
    a layer (Gemm/MatMul+Add: dense, Conv: conv2d, pooling, norms, activations, reshapes,
    Add/Mul/Concat, LSTM/GRU/RNN); a file LayerLab exported comes back as it was.
    The network is run beside the file on a check batch before it is kept; nothing is
    kept when any operator cannot be expressed."""
    settings: Settings = request.app.state.settings
    data = await read_body(request, MAX_ONNX_UPLOAD)
    title = (name or filename.rsplit("/", 1)[-1].removesuffix(".onnx")).strip() or "Imported"
    try:
        imported = await run_in_threadpool(import_onnx, data, title, limits)
        model = await run_in_threadpool(save_import, imported, title, filename,
                                        settings.upload_quota_bytes)
    except UnsupportedModel as exc:
        issues = [IssueOut(layer_id=None, field=p.node, message=f"{p.op}: {p.why}",
                           code="unsupported_operator", params={"op": p.op, "node": p.node})
                  for p in exc.problems]
        return JSONResponse(ErrorOut(detail=str(exc), errors=issues).model_dump(),
                            status_code=422)
    except UploadQuotaExceeded as exc:
        raise HTTPException(413, str(exc)) from None
    except (OnnxReadError, OnnxImportError) as exc:
        raise HTTPException(422, str(exc)) from None
    return _out(model)


@router.get("")
def list_imported() -> list[ImportOut]:
    """Every imported network, newest first."""
    return [_out(model) for model in list_imports()]


@router.get("/{import_id}", responses={404: {"model": ErrorOut}})
def get_imported(import_id: ImportId) -> ImportOut:
    """One imported network."""
    try:
        return _out(imported_model(import_id))
    except UploadNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.delete("/{import_id}", status_code=204, responses={404: {"model": ErrorOut}})
def delete_imported(import_id: ImportId) -> Response:
    """Delete an imported network. Runs started from it keep their own copy of its weights."""
    try:
        delete_import(import_id)
    except UploadNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)
