"""Builders for generative layers."""

from __future__ import annotations

from app.nn.errors import shape_text
from app.nn.recipe import Recipe, custom_call
from app.nn.registry import LayerContext, register_layer
from app.spec.layers.generative import SamplingSpec


@register_layer("sampling")
def sampling(spec: SamplingSpec, ctx: LayerContext) -> Recipe:
    (mean_id, var_id), (mean, log_var) = ctx.in_ids, ctx.in_shapes
    if mean != log_var:
        ctx.fail(f"the mean '{mean_id}' {shape_text(mean)} and the log-variance '{var_id}' "
                 f"{shape_text(log_var)} must have the same shape: give both dense layers "
                 "the same units (the latent size)", "inputs")
    return custom_call("Sampling")
