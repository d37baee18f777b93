"""One feature map traced back to what made it: for a convolution, the input channels it
reads, the kernel slice over each, the bias, the sum before the activation, and the
stride and padding that place each output value over its input patch (CNN Explainer's
link between a map and its filter, for any network)."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field
from torch import nn

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import batch_of, evaluating, layer_ids
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_INPUTS = 64  # input channels sent with their kernel slices


class ConvolutionOut(BaseModel):
    """How a convolution made the channel: out = activation(bias + sum over the inputs
    of input ⋆ kernel)."""

    input_channels: list[int] = Field(description="The input channels sent, in order (a "
                                                  "grouped convolution reads only its group's).")
    reads: int = Field(description="How many input channels the output channel reads.")
    inputs: EncodedArray = Field(description="(len(input_channels), H, W) or (…, L) float16: "
                                             "the layer's input on those channels.")
    kernel: EncodedArray = Field(description="(len(input_channels), kh, kw) or (…, k) "
                                             "float16: the kernel slice over each.")
    bias: float = Field(description="0 when the layer has no bias.")
    stride: list[int]
    dilation: list[int]
    padding: list[int] = Field(description="Zeros added before the first row (and column): "
                                           "output position i reads input rows from "
                                           "i * stride - padding.")
    pre_activation: EncodedArray | None = Field(default=None, description=(
        "The sum before the layer's activation, where it has one."))
    cut: str | None = None


class ChannelOut(BaseModel):
    layer: str
    type: str
    channel: int
    channels: int = Field(description="The layer's output channels.")
    map: EncodedArray = Field(description="(H, W) or (L,) float16: the channel's output.")
    min: float
    max: float
    convolution: ConvolutionOut | None = Field(default=None, description=(
        "For a conv1d or conv2d layer: what the channel was made from."))


def _padding(conv: nn.Conv1d | nn.Conv2d) -> list[int]:
    """Zeros before the input on each axis, as the convolution pads it."""
    dims = len(conv.kernel_size)
    if conv.padding == "valid":
        return [0] * dims
    if conv.padding == "same":  # PyTorch puts an odd leftover after the input
        return [d * (k - 1) // 2 for d, k in zip(conv.dilation, conv.kernel_size, strict=True)]
    return list(conv.padding)  # type: ignore[arg-type]


@torch.no_grad()
def channel_detail(model: GraphNet, x: torch.Tensor, layer_id: str, channel: int) -> ChannelOut:
    """Channel `channel` of layer `layer_id`'s output for one input `x`, and for a
    convolution what it was computed from."""
    (layer_id,) = layer_ids(model, [layer_id])
    layer = model.layer(layer_id)
    seen: dict[str, torch.Tensor] = {}

    def keep(_: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        seen["input"], seen["output"] = args[0].detach(), out.detach()

    handle = layer.register_forward_hook(keep)
    try:
        with evaluating(model):
            model(batch_of(model, x))
    finally:
        handle.remove()
    out = seen["output"][0].float()
    if out.dim() < 2:
        raise InspectError(f"layer {layer_id!r} outputs a vector of {out.numel()}, not "
                           "feature maps: see its values in the activations view")
    if not 0 <= channel < out.shape[0]:
        raise InspectError(f"channel: layer {layer_id!r} has {out.shape[0]} channels (0 to "
                           f"{out.shape[0] - 1}), not {channel}")
    plane = out[channel]
    finite = plane[torch.isfinite(plane)]
    low, high = (finite.min().item(), finite.max().item()) if finite.numel() else (0.0, 0.0)
    conv = next((m for m in layer.modules() if isinstance(m, nn.Conv1d | nn.Conv2d)), None)
    return ChannelOut(layer=layer_id, type=model.spec.layer(layer_id).type, channel=channel,
                      channels=out.shape[0], map=encode(plane), min=low, max=high,
                      convolution=None if conv is None else _convolution(
                          conv, seen["input"], channel, has_activation=conv is not layer
                          and len(list(layer.children())) > 1))


def _convolution(conv: nn.Conv1d | nn.Conv2d, x: torch.Tensor, channel: int,
                 has_activation: bool) -> ConvolutionOut:
    """What output `channel` of `conv` was computed from, for a batch of one input `x`."""
    reads = conv.in_channels // conv.groups
    group = channel // (conv.out_channels // conv.groups)
    first = group * reads
    shown = min(reads, MAX_INPUTS)
    kernel = conv.weight[channel, :shown].float()
    bias = float(conv.bias[channel]) if conv.bias is not None else 0.0
    pre = conv(x)[0, channel].float() if has_activation else None
    return ConvolutionOut(
        input_channels=list(range(first, first + shown)), reads=reads,
        inputs=encode(x[0, first:first + shown].float()), kernel=encode(kernel), bias=bias,
        stride=list(conv.stride), dilation=list(conv.dilation), padding=_padding(conv),
        pre_activation=None if pre is None else encode(pre),
        cut=f"first {shown} of {reads} input channels" if shown < reads else None)
