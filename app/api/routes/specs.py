from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.deps import LimitsDep
from app.api.schemas import ErrorOut, IssueOut, LayerSummaryOut, Responses, ValidateOut
from app.nn import trace
from app.nn.codegen import class_name, to_python
from app.nn.logits import squash_note
from app.spec import NetworkSpec

router = APIRouter(prefix="/specs", tags=["specs"])
INVALID: Responses = {
    422: {"model": ErrorOut, "description": "The spec is invalid; errors name each layer."},
}


@router.post("/validate", responses=INVALID)
def validate_spec(spec: NetworkSpec, limits: LimitsDep) -> ValidateOut:
    """Check a spec and report each layer's output shape, parameters and FLOPs, and
    whether it is small enough to train here."""
    plan = trace(spec, limits, enforce=False)
    summary, note = plan.summary, squash_note(plan)
    layers = [
        LayerSummaryOut(id=s.id, type=s.type, input_shapes=[list(x) for x in s.input_shapes],
                        output_shape=list(s.output_shape), params=s.params,
                        trainable_params=s.trainable_params, flops=s.flops)
        for s in summary.layers
    ]
    return ValidateOut(valid=True, input_shape=list(summary.input_shape),
                       output_shape=list(summary.output_shape), layers=layers,
                       total_params=summary.total_params,
                       trainable_params=summary.trainable_params,
                       total_flops=summary.total_flops, activation_mb=summary.activation_mb,
                       warnings=summary.warnings, notes=[note] if note else [],
                       trainable=not summary.over_limits,
                       over_limits=[IssueOut(**issue.to_dict())
                                    for issue in summary.over_limits])


PYTHON_SOURCE: Responses = {200: {"description": "Python source of the network.",
                                  "content": {"text/x-python": {"schema": {"type": "string"}}}}}


@router.post("/export/pytorch", response_class=Response,
             responses={**INVALID, **PYTHON_SOURCE})
def export_pytorch(spec: NetworkSpec, limits: LimitsDep) -> Response:
    """The network as a standalone PyTorch module (Python source)."""
    filename = f"{class_name(spec.name).lower()}.py"
    return Response(to_python(spec, limits), media_type="text/x-python",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
