"""Builders for core layers."""

from __future__ import annotations

import math

from app.nn.errors import shape_text
from app.nn.layers.activations import activation_recipe, sample_axis_to_dim
from app.nn.recipe import Recipe, custom_call, nn_call, sequential
from app.nn.registry import LayerContext, register_layer
from app.spec.layers.core import (
    ActivationSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    PermuteSpec,
    ReshapeSpec,
    SliceSpec,
)


@register_layer("dense")
def dense(spec: DenseSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    if len(ctx.shape) > 2:
        ctx.fail(f"follows a {shape_text(ctx.shape)} output: add a flatten layer before it",
                 None, "needs_flat_input", shape=ctx.shape)
    linear = nn_call("Linear", ctx.shape[-1], spec.units, bias=spec.use_bias)
    return sequential(linear, activation_recipe(spec.activation))


@register_layer("activation")
def activation(spec: ActivationSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    if spec.activation in ("softmax", "log_softmax") and not -len(ctx.shape) <= spec.axis < len(
        ctx.shape
    ):
        ctx.fail(f"axis {spec.axis} is out of range for a {shape_text(ctx.shape)} input", "axis")
    recipe = activation_recipe(spec.activation, spec.negative_slope,
                               sample_axis_to_dim(spec.axis))
    return recipe or nn_call("Identity")


@register_layer("dropout")
def dropout(spec: DropoutSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    return nn_call("Dropout", spec.rate)


@register_layer("flatten")
def flatten(spec: FlattenSpec, ctx: LayerContext) -> Recipe:
    return nn_call("Flatten")


@register_layer("reshape")
def reshape(spec: ReshapeSpec, ctx: LayerContext) -> Recipe:
    size = math.prod(ctx.shape)
    known = math.prod(d for d in spec.shape if d != -1)
    fits = size % known == 0 if -1 in spec.shape else size == known
    if not fits:
        ctx.fail(f"cannot reshape {shape_text(ctx.shape)} ({size} values) to {spec.shape}: "
                 "the number of values must stay the same", "shape")
    return custom_call("Reshape", list(spec.shape))


@register_layer("permute")
def permute(spec: PermuteSpec, ctx: LayerContext) -> Recipe:
    if len(spec.dims) != len(ctx.shape):
        ctx.fail(f"dims {spec.dims} must list all {len(ctx.shape)} axes of its "
                 f"{shape_text(ctx.shape)} input", "dims")
    return custom_call("Permute", list(spec.dims))


@register_layer("slice")
def slice_(spec: SliceSpec, ctx: LayerContext) -> Recipe:
    if spec.axis >= len(ctx.shape):
        ctx.fail(f"axis {spec.axis} is out of range for a {shape_text(ctx.shape)} input: "
                 f"use 0 to {len(ctx.shape) - 1}", "axis")
    size = ctx.shape[spec.axis]
    stop = size if spec.stop is None else spec.stop
    if stop > size:
        ctx.fail(f"stop {stop} is past the end of axis {spec.axis}, which has {size} "
                 f"entries: use at most {size}", "stop")
    if spec.start >= stop:
        ctx.fail(f"start {spec.start} leaves nothing of axis {spec.axis} ({size} entries): "
                 f"use a start below {stop}", "start")
    return custom_call("Slice", spec.start, stop, axis=spec.axis)
