"""Convolution kernels as image grids; a first layer's RGB kernels in colour."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field
from torch import nn

from app.inspect.arrays import InspectError, encode, to_png
from app.inspect.capture import layer_ids
from app.nn.graph_module import GraphNet
from app.spec import NETWORK_INPUT
from app.spec.arrays import EncodedArray

MAX_FILTERS = 256
MAX_IN_CHANNELS = 64


class LayerFilters(BaseModel):
    id: str
    type: str
    shape: list[int] = Field(description="(out, in, kh, kw) or (out, in, k): the full kernel.")
    rgb: bool = Field(description="A first layer over 3 channels: each filter is a colour image.")
    min: float
    max: float
    values: EncodedArray = Field(description="float16 kernels, cut as `cut` says.")
    png: str | None = Field(default=None, description="RGB layers: the filters as one "
                                                      "base64 PNG grid (0 is mid-grey).")
    cut: str | None = None


class FiltersOut(BaseModel):
    layers: list[LayerFilters]


def conv_of(module: nn.Module) -> nn.Module | None:
    """The convolution inside a layer's module (convolutions come with their activation)."""
    for sub in module.modules():
        if isinstance(sub, nn.modules.conv._ConvNd):
            return sub
    return None


def _grid(kernels: torch.Tensor, columns: int = 8, gap: int = 1) -> torch.Tensor:
    """(N, 3, kh, kw) kernels scaled to [0, 1] as one (3, H, W) image, `columns` wide."""
    n, _, kh, kw = kernels.shape
    rows = -(-n // columns)
    image = torch.ones(3, rows * (kh + gap) - gap, columns * (kw + gap) - gap)
    for i in range(n):
        top, left = (i // columns) * (kh + gap), (i % columns) * (kw + gap)
        image[:, top:top + kh, left:left + kw] = kernels[i]
    return image


def filters(model: GraphNet, layers: list[str] | None = None,
            max_filters: int = 64) -> FiltersOut:
    """The kernels of every convolution layer (or of `layers`, which must be convolutions)."""
    answer = []
    for layer_id in layer_ids(model, layers):
        conv = conv_of(model.layer(layer_id))
        if conv is None:
            if layers is not None:
                raise InspectError(f"layer {layer_id!r} is not a convolution")
            continue
        weight = torch.as_tensor(conv.weight).detach().float().cpu()
        if isinstance(conv, nn.modules.conv._ConvTransposeNd):
            weight = weight.transpose(0, 1)  # stored (in, out, ...): show (out, in, ...)
        node = next(n for n in model.nodes if n.layer_id == layer_id)
        rgb = weight.dim() == 4 and weight.shape[1] == 3 and node.inputs == (NETWORK_INPUT,)
        keep_out = min(max_filters, MAX_FILTERS)
        sent = weight[:keep_out, :MAX_IN_CHANNELS]
        cut = []
        if weight.shape[0] > keep_out:
            cut.append(f"first {keep_out} of {weight.shape[0]} filters")
        if weight.shape[1] > MAX_IN_CHANNELS:
            cut.append(f"first {MAX_IN_CHANNELS} of {weight.shape[1]} input channels")
        png = None
        if rgb:
            scale = sent.abs().max().clamp_min(1e-12)
            png = to_png(_grid(0.5 + sent / (2 * scale)))
        answer.append(LayerFilters(id=layer_id, type=model.spec.layer(layer_id).type,
                                   shape=list(weight.shape), rgb=rgb,
                                   min=weight.min().item(), max=weight.max().item(),
                                   values=encode(sent), png=png, cut="; ".join(cut) or None))
    return FiltersOut(layers=answer)
