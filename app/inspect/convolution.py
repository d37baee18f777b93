"""The worked example of a convolution on a real layer: an image through the layer's
own convolution, its kernel as the spec set it."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from app.inspect.arrays import InspectError
from app.nn.graph_module import GraphNet


def worked_convolution(model: GraphNet, layer_id: str, image: Sequence[Sequence[float]],
                       filter_index: int = 0) -> list[list[float]]:
    """Filter `filter_index`'s feature map of a one-channel `image` (rows of pixels),
    as layer `layer_id`'s convolution computes it, before the layer's activation."""
    layer = model.layer(layer_id)
    conv = next((m for m in layer.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None or conv.in_channels != 1:
        raise InspectError(f"layer {layer_id!r} is no conv2d over one channel")
    x = torch.tensor(image, dtype=conv.weight.dtype, device=conv.weight.device)[None, None]
    with torch.no_grad():
        out = conv(x)  # (1, filters, H', W')
    rows: list[list[float]] = out[0, filter_index].cpu().tolist()
    return rows
