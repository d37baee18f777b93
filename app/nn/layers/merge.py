"""Builders for merge layers: the inputs rule plus these give residual and inception blocks."""

from __future__ import annotations

from app.nn.errors import shape_text
from app.nn.recipe import Recipe, custom_call
from app.nn.registry import LayerContext, register_layer
from app.spec.layers.merge import AddSpec, ConcatSpec, MultiplySpec


def _require_same_shapes(ctx: LayerContext, verb: str) -> None:
    first_id, first = ctx.in_ids[0], ctx.shape
    for other_id, other in zip(ctx.in_ids[1:], ctx.in_shapes[1:], strict=True):
        if other != first:
            ctx.fail(f"cannot {verb} '{first_id}' {shape_text(first)} and '{other_id}' "
                     f"{shape_text(other)}: the shapes must match (change filters/units, "
                     "or add a 1x1 convolution on the shortcut)", "inputs", "shape_mismatch",
                     first=first_id, first_shape=first, other=other_id, other_shape=other)


@register_layer("add")
def add(spec: AddSpec, ctx: LayerContext) -> Recipe:
    _require_same_shapes(ctx, "add")
    return custom_call("Add")


@register_layer("multiply")
def multiply(spec: MultiplySpec, ctx: LayerContext) -> Recipe:
    _require_same_shapes(ctx, "multiply")
    return custom_call("Multiply")


@register_layer("concat")
def concat(spec: ConcatSpec, ctx: LayerContext) -> Recipe:
    rank = len(ctx.shape)
    if not -rank <= spec.axis < rank:
        ctx.fail(f"axis {spec.axis} is out of range for {shape_text(ctx.shape)} inputs", "axis")
    axis = spec.axis % rank
    first_id, first = ctx.in_ids[0], ctx.shape
    for other_id, other in zip(ctx.in_ids[1:], ctx.in_shapes[1:], strict=True):
        rest_first = first[:axis] + first[axis + 1:]
        rest_other = other[:axis] + other[axis + 1:]
        if len(other) != rank or rest_first != rest_other:
            ctx.fail(f"cannot concatenate '{first_id}' {shape_text(first)} and '{other_id}' "
                     f"{shape_text(other)} along axis {spec.axis}: all other axes must match",
                     "inputs", "shape_mismatch", first=first_id, first_shape=first,
                     other=other_id, other_shape=other, axis=spec.axis)
    return custom_call("Concat", axis=axis)
