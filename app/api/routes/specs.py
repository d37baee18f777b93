from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from app.api.deps import JsonBody, LimitsDep
from app.api.schemas import (
    ErrorOut,
    InvalidSpecOut,
    IssueOut,
    LayerSummaryOut,
    Responses,
    ValidateOut,
)
from app.nn import LayerSummary, trace
from app.nn.codegen import class_name, to_python
from app.nn.logits import squash_note
from app.nn.partial import trace_partial
from app.spec import NetworkSpec, SpecError, SpecLimits, parse_network

router = APIRouter(prefix="/specs", tags=["specs"])
INVALID: Responses = {
    422: {"model": ErrorOut, "description": "The spec is invalid; errors name each layer."},
}
INVALID_SHOWN: Responses = {
    422: {"model": InvalidSpecOut, "description": (
        "The spec is invalid: errors name each invalid layer, and layers carries the "
        "shapes of every layer that no invalid layer feeds.")},
}
# The body is read as JSON and validated here (not by FastAPI), so that an invalid spec
# still answers what could be inferred of it; the schema says what it takes all the same.
SPEC_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/NetworkSpec"}}}}}


@router.post("/validate", response_model=ValidateOut, responses=INVALID_SHOWN,
             openapi_extra=SPEC_BODY)
def validate_spec(data: JsonBody, limits: LimitsDep) -> ValidateOut | JSONResponse:
    """Check a spec and report each layer's output shape, parameters and FLOPs, and
    whether it is small enough to train here."""
    try:
        plan = trace(parse_network(data, limits), limits, enforce=False)
    except SpecError as exc:
        return _invalid(data, limits, exc)
    summary, note = plan.summary, squash_note(plan)
    layers = [_layer_out(s) for s in summary.layers]
    return ValidateOut(valid=True, input_shape=list(summary.input_shape),
                       output_shape=list(summary.output_shape), layers=layers,
                       total_params=summary.total_params,
                       trainable_params=summary.trainable_params,
                       total_flops=summary.total_flops, activation_mb=summary.activation_mb,
                       warnings=summary.warnings, disconnected=summary.disconnected,
                       notes=[note] if note else [],
                       trainable=not summary.over_limits,
                       over_limits=[IssueOut(**issue.to_dict())
                                    for issue in summary.over_limits])


def _invalid(data: Any, limits: SpecLimits, exc: SpecError) -> JSONResponse:
    partial = trace_partial(data, limits)
    answer = InvalidSpecOut(
        detail="the network spec is invalid",
        errors=[IssueOut(**issue.to_dict()) for issue in partial.issues or exc.issues],
        input_shape=None if partial.input_shape is None else list(partial.input_shape),
        layers=[_layer_out(s) for s in partial.layers], disconnected=partial.disconnected)
    return JSONResponse(answer.model_dump(mode="json"), status_code=422)


def _layer_out(s: LayerSummary) -> LayerSummaryOut:
    return LayerSummaryOut(id=s.id, type=s.type, input_shapes=[list(x) for x in s.input_shapes],
                           output_shape=list(s.output_shape), params=s.params,
                           trainable_params=s.trainable_params, flops=s.flops)


PYTHON_SOURCE: Responses = {200: {"description": "Python source of the network.",
                                  "content": {"text/x-python": {"schema": {"type": "string"}}}}}


@router.post("/export/pytorch", response_class=Response,
             responses={**INVALID, **PYTHON_SOURCE})
def export_pytorch(spec: NetworkSpec, limits: LimitsDep) -> Response:
    """The network as a standalone PyTorch module (Python source)."""
    filename = f"{class_name(spec.name).lower()}.py"
    return Response(to_python(spec, limits), media_type="text/x-python",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
