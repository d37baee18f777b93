"""Every layer's output for one input: feature maps, vectors, sequences."""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import encode
from app.inspect.capture import batch_of, layer_ids, layer_outputs
from app.inspect.outputs import OutputKind
from app.inspect.predict import PredictOut, answer
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_CHANNELS = 256
MAX_VALUES = 1_000_000  # per layer, after the channel cut
ActivationKind = Literal["maps", "vector", "sequence", "other"]


class LayerActivation(BaseModel):
    id: str
    type: str
    shape: list[int] = Field(description="The full output shape (no batch dimension).")
    kind: ActivationKind = Field(
        description="maps: (C, H, W) or (C, L); vector: (D,); sequence: (T, D); other: "
                    "anything else, flattened.")
    min: float
    max: float
    values: EncodedArray = Field(description="float16; maps and sequences cut to "
                                             "max_channels channels (or steps) from "
                                             "first_channel on.")
    first_channel: int = Field(description=(
        "The first channel (or step) sent: page through a wide layer by asking again from "
        "first_channel + the channels sent."))
    cut: str | None = Field(default=None, description="What was left out, if anything.")


class ActivationsOut(BaseModel):
    input: EncodedArray
    label: float | None = Field(default=None, description=(
        "The sample's true label (a class id or a value), for a sample of a split."))
    class_names: list[str] | None = None
    prediction: PredictOut | None = Field(default=None, description=(
        "What the network makes of the input: class probabilities, a value or a "
        "reconstruction."))
    layers: list[LayerActivation]


def kind_of(shape: tuple[int, ...], layer_type: str) -> ActivationKind:
    if len(shape) == 1:
        return "vector"
    if len(shape) == 3 or (len(shape) == 2 and layer_type.endswith("1d")):
        return "maps"
    if len(shape) == 2:
        return "sequence"
    return "other"


def _bounded(out: torch.Tensor, kind: ActivationKind, max_channels: int, first: int = 0
             ) -> tuple[torch.Tensor, int, str | None]:
    """The part of one output that is sent, its first channel, and a note on what was
    cut. A `first` past the layer's last channel sends its last page."""
    cut = []
    start = 0
    if kind in ("maps", "sequence") and out.shape[0] > max_channels:
        what = "channels" if kind == "maps" else "steps"
        total = out.shape[0]
        start = min(first, total - max_channels)
        cut.append(f"{what} {start} to {start + max_channels - 1} of {total}")
        out = out[start:start + max_channels]
    if out.numel() > MAX_VALUES:
        per_row = math.prod(out.shape[1:]) or 1
        rows = max(MAX_VALUES // per_row, 1)
        if kind == "other" or (rows == 1 and per_row > MAX_VALUES):
            cut.append(f"first {MAX_VALUES} of {out.numel()} values")
            out = out.reshape(-1)[:MAX_VALUES]
        else:
            cut.append(f"first {rows} of {out.shape[0]} rows (value limit)")
            out = out[:rows]
    return out, start, "; ".join(cut) or None


def activations(model: GraphNet, x: torch.Tensor, layers: list[str] | None = None,
                max_channels: int = 64, first_channel: int = 0,
                output: OutputKind | None = None, class_names: list[str] | None = None
                ) -> ActivationsOut:
    """The outputs of `layers` (all by default) for one input `x` (no batch dimension),
    `max_channels` channels of each from `first_channel` on, and the prediction the
    network's `output` stands for. min/max are over the whole output, so colour scales
    agree with what was cut."""
    ids = layer_ids(model, layers)
    result, outputs = layer_outputs(model, batch_of(model, x), ids)
    shown = []
    for layer_id in ids:
        out = outputs[layer_id][0].float()
        layer_type = model.spec.layer(layer_id).type
        kind = kind_of(tuple(out.shape), layer_type)
        sent, first, cut = _bounded(out, kind, min(max_channels, MAX_CHANNELS), first_channel)
        finite = out[torch.isfinite(out)]
        low, high = (finite.min().item(), finite.max().item()) if finite.numel() else (0.0, 0.0)
        shown.append(LayerActivation(id=layer_id, type=layer_type, shape=list(out.shape),
                                     kind=kind, min=low, max=high, values=encode(sent),
                                     first_channel=first, cut=cut))
    prediction = answer(result, output, class_names) if output is not None else None
    return ActivationsOut(input=encode(x.float()), class_names=class_names,
                          prediction=prediction, layers=shown)
