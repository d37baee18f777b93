"""Builders for convolution, pooling and upsampling layers."""

from __future__ import annotations

from typing import Any, Literal

from app.nn.layers.activations import activation_recipe
from app.nn.recipe import Recipe, custom_call, nn_call, sequential
from app.nn.registry import LayerContext, register_layer
from app.spec.layers.conv import (
    AvgPool2dSpec,
    Conv1dSpec,
    Conv2dSpec,
    ConvTranspose2dSpec,
    GlobalAvgPool2dSpec,
    GlobalMaxPool2dSpec,
    MaxPool1dSpec,
    MaxPool2dSpec,
    Upsample2dSpec,
)

IMAGE = "(channels, height, width)"
IMAGE_HINT = "add a reshape layer, e.g. shape [1, 28, 28], or remove a flatten layer"
SIGNAL = "(channels, length)"
SIGNAL_HINT = "add a reshape or permute layer to get (channels, length)"


def _pair(value: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    return (value,) * n if isinstance(value, int) else tuple(value)


def _check_window(ctx: LayerContext, kernel: tuple[int, ...], padding: tuple[int, ...],
                  dilation: int = 1, what: str = "kernel") -> None:
    """A window larger than its (padded) input is the most common CNN mistake."""
    spatial = ctx.shape[1:]
    span = tuple(dilation * (k - 1) + 1 for k in kernel)
    if any(s > d + 2 * p for s, d, p in zip(span, spatial, padding, strict=True)):
        ctx.fail(f"{what} {'x'.join(map(str, span))} is larger than its input "
                 f"{'x'.join(map(str, spatial))}: use padding 'same' or remove a pooling layer",
                 "kernel_size" if what == "kernel" else "pool_size", "window_too_large",
                 window=span, shape=spatial)


def _conv_padding(ctx: LayerContext, padding: Literal["valid", "same"] | int,
                  kernel: tuple[int, ...], stride: tuple[int, ...],
                  dilation: int) -> str | int | tuple[int, ...]:
    """Spec padding -> torch padding. 'same' with a stride keeps ceil(size / stride)."""
    if padding == "valid":
        return 0
    if padding != "same":
        return padding
    if all(s == 1 for s in stride):
        return "same"
    totals = [dilation * (k - 1) for k in kernel]
    if any(t % 2 for t in totals):
        ctx.fail("padding 'same' with a stride needs an odd kernel size: "
                 "use an odd kernel_size or an integer padding", "padding")
    return tuple(t // 2 for t in totals) if len(totals) > 1 else totals[0] // 2


def _conv(spec: Conv1dSpec | Conv2dSpec, ctx: LayerContext, dims: int) -> Recipe:
    ctx.require_float()
    if dims == 2:
        ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    else:
        ctx.require_rank((2,), SIGNAL, SIGNAL_HINT)
    in_channels = ctx.shape[0]
    if in_channels % spec.groups or spec.filters % spec.groups:
        ctx.fail(f"groups {spec.groups} must divide both the input channels ({in_channels}) "
                 f"and filters ({spec.filters})", "groups")
    kernel = _pair(spec.kernel_size, dims)
    stride = _pair(spec.stride, dims)
    padding = _conv_padding(ctx, spec.padding, kernel, stride, spec.dilation)
    if not isinstance(padding, str):
        _check_window(ctx, kernel, _pair(padding, dims), spec.dilation)
    conv = nn_call(f"Conv{dims}d", in_channels, spec.filters, kernel_size=spec.kernel_size,
                   stride=spec.stride, padding=padding, dilation=spec.dilation,
                   groups=spec.groups, bias=spec.use_bias)
    if spec.weights is not None:
        conv = _given_weights(spec, ctx, conv, (spec.filters, in_channels // spec.groups, *kernel))
    return sequential(conv, activation_recipe(spec.activation))


def _given_weights(spec: Conv1dSpec | Conv2dSpec, ctx: LayerContext, conv: Recipe,
                   expected: tuple[int, ...]) -> Recipe:
    """The convolution set to the spec's weights, once they fit its shapes."""
    assert spec.weights is not None
    kernel: Any = spec.weights.kernel
    given = spec.weights.kernel_shape
    if given == expected[2:] and expected[:2] == (1, 1):
        kernel = [[kernel]]  # the grid alone: one filter over one channel
    elif given != expected:
        shorthand = "x".join(map(str, expected[2:]))
        hint = (f", or the {shorthand} grid alone" if expected[:2] == (1, 1) else
                f" (a {shorthand} grid alone fits only one filter over a one-channel input)")
        ctx.fail(f"weights.kernel is {_dims(given)} but this layer needs {_dims(expected)}: "
                 f"filters x input channels{' / groups' if spec.groups > 1 else ''} x "
                 f"{'kernel length' if len(expected) == 3 else 'kernel height x width'}{hint}",
                 "weights")
    bias = spec.weights.bias
    if bias is not None and not spec.use_bias:
        ctx.fail("weights.bias is given but use_bias is false: drop the bias or set use_bias",
                 "weights")
    if bias is not None and len(bias) != spec.filters:
        ctx.fail(f"weights.bias has {len(bias)} values but the layer has {spec.filters} "
                 "filters: give one per filter", "weights")
    if bias is None and spec.use_bias:
        bias = [0.0] * spec.filters
    return custom_call("with_weights", conv, weight=kernel, bias=bias)


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


@register_layer("conv1d")
def conv1d(spec: Conv1dSpec, ctx: LayerContext) -> Recipe:
    return _conv(spec, ctx, 1)


@register_layer("conv2d")
def conv2d(spec: Conv2dSpec, ctx: LayerContext) -> Recipe:
    return _conv(spec, ctx, 2)


@register_layer("conv_transpose2d")
def conv_transpose2d(spec: ConvTranspose2dSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    if spec.output_padding >= min(_pair(spec.stride, 2)):
        ctx.fail("output_padding must be smaller than the stride", "output_padding")
    conv = nn_call("ConvTranspose2d", ctx.shape[0], spec.filters, kernel_size=spec.kernel_size,
                   stride=spec.stride, padding=spec.padding,
                   output_padding=spec.output_padding, bias=spec.use_bias)
    return sequential(conv, activation_recipe(spec.activation))


def _pool(spec: MaxPool1dSpec | MaxPool2dSpec | AvgPool2dSpec, ctx: LayerContext,
          kind: str, dims: int) -> Recipe:
    ctx.require_float()
    if dims == 2:
        ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    else:
        ctx.require_rank((2,), SIGNAL, SIGNAL_HINT)
    if spec.padding * 2 > spec.pool_size:
        ctx.fail("padding may be at most half the pool_size", "padding")
    _check_window(ctx, (spec.pool_size,) * dims, (spec.padding,) * dims, what="pool window")
    return nn_call(f"{kind}Pool{dims}d", spec.pool_size, stride=spec.stride or spec.pool_size,
                   padding=spec.padding)


@register_layer("maxpool1d")
def maxpool1d(spec: MaxPool1dSpec, ctx: LayerContext) -> Recipe:
    return _pool(spec, ctx, "Max", 1)


@register_layer("maxpool2d")
def maxpool2d(spec: MaxPool2dSpec, ctx: LayerContext) -> Recipe:
    return _pool(spec, ctx, "Max", 2)


@register_layer("avgpool2d")
def avgpool2d(spec: AvgPool2dSpec, ctx: LayerContext) -> Recipe:
    return _pool(spec, ctx, "Avg", 2)


@register_layer("global_avgpool2d")
def global_avgpool2d(spec: GlobalAvgPool2dSpec, ctx: LayerContext) -> Recipe:
    ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    return custom_call("GlobalPool2d", "avg")


@register_layer("global_maxpool2d")
def global_maxpool2d(spec: GlobalMaxPool2dSpec, ctx: LayerContext) -> Recipe:
    ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    return custom_call("GlobalPool2d", "max")


@register_layer("upsample2d")
def upsample2d(spec: Upsample2dSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    ctx.require_rank((3,), IMAGE, IMAGE_HINT)
    return nn_call("Upsample", scale_factor=float(spec.scale_factor), mode=spec.mode)
