"""Which input values a prediction rests on: gradient x input and integrated gradients."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import batch_of, evaluating
from app.inspect.outputs import OutputKind
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_STEPS = 256


class SaliencyOut(BaseModel):
    target: int = Field(description="The output unit explained (the class, by default "
                                    "the predicted one).")
    score: float = Field(description="That unit's output (a logit or a value).")
    gradient_x_input: EncodedArray = Field(description="float16, shaped like the input.")
    integrated_gradients: EncodedArray = Field(
        description="float16, shaped like the input; from a zero baseline.")
    steps: int
    input: EncodedArray = Field(description="The explained input (float16), for overlays.")


def _scores(model: GraphNet, batch: torch.Tensor, output: OutputKind) -> torch.Tensor:
    """(B, units): the output units a target can name."""
    out = model(batch)
    if output == "tokens" and out.dim() == 3:
        out = out[:, -1]
    return out.reshape(out.shape[0], -1)


def saliency(model: GraphNet, x: torch.Tensor, output: OutputKind, target: int | None = None,
             steps: int = 32) -> SaliencyOut:
    """Attributions of one output unit to each input value of `x`."""
    if model.spec.input.dtype == "token":
        raise InspectError("saliency needs a float input; token ids have no gradient")
    if not 1 <= steps <= MAX_STEPS:
        raise InspectError(f"steps: 1 to {MAX_STEPS}, not {steps}")
    batch = batch_of(model, x)
    with evaluating(model), torch.enable_grad():
        leaf = batch.clone().requires_grad_(True)
        scores = _scores(model, leaf, output)
        if target is None:
            target = int(scores[0].argmax()) if scores.shape[1] > 1 else 0
        if not 0 <= target < scores.shape[1]:
            raise InspectError(f"target: the output has {scores.shape[1]} units, not {target}")
        (grad,) = torch.autograd.grad(scores[0, target], leaf)
        # Integrated gradients (right Riemann sum): the mean gradient along the straight
        # path from a zero baseline to x, times x.
        alphas = torch.arange(1, steps + 1, device=batch.device, dtype=batch.dtype) / steps
        path = (alphas.reshape(-1, *[1] * x.dim()) * batch).requires_grad_(True)
        (path_grad,) = torch.autograd.grad(_scores(model, path, output)[:, target].sum(), path)
    integrated = path_grad.mean(dim=0) * batch[0]
    return SaliencyOut(target=target, score=float(scores[0, target].detach()),
                       gradient_x_input=encode((grad * batch)[0]),
                       integrated_gradients=encode(integrated), steps=steps,
                       input=encode(batch[0]))
