"""A prediction for one input: class probabilities, a value or a reconstruction."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import encode
from app.inspect.capture import batch_of, evaluating
from app.inspect.outputs import OutputKind, class_probabilities
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_VALUES = 4096


class ClassScore(BaseModel):
    index: int
    name: str | None
    probability: float


class PredictOut(BaseModel):
    output: OutputKind
    probabilities: list[float] | None = Field(default=None, description="classes, binary and "
                                                                        "tokens outputs.")
    top: list[ClassScore] | None = Field(default=None, description="The 5 likeliest classes.")
    value: list[float] | None = Field(default=None, description="A regression output, "
                                                                "flattened.")
    reconstruction: EncodedArray | None = Field(default=None, description="float16, shaped "
                                                                          "like the input.")


@torch.no_grad()
def predict(model: GraphNet, x: torch.Tensor, output: OutputKind,
            class_names: list[str] | None = None) -> PredictOut:
    with evaluating(model):
        out = model(batch_of(model, x)).float()
    return answer(out, output, class_names)


def answer(out: torch.Tensor, output: OutputKind, class_names: list[str] | None = None
           ) -> PredictOut:
    """The prediction that a batch of one's network output `out` stands for."""
    out = out.float()
    if output == "value":
        return PredictOut(output=output, value=out.reshape(-1)[:MAX_VALUES].tolist())
    if output == "reconstruction":
        return PredictOut(output=output, reconstruction=encode(out[0]))
    probs = class_probabilities(out, output)[0]
    best = probs.argsort(descending=True)[:5].tolist()
    names = class_names or []
    top = [ClassScore(index=i, name=names[i] if i < len(names) else None,
                      probability=float(probs[i])) for i in best]
    return PredictOut(output=output, probabilities=probs[:MAX_VALUES].tolist(), top=top)
