"""Builders for normalisation layers."""

from __future__ import annotations

from app.nn.recipe import Recipe, nn_call
from app.nn.registry import LayerContext, register_layer
from app.spec.layers.norm import BatchNormSpec, LayerNormSpec, LocalResponseNormSpec


@register_layer("batchnorm")
def batchnorm(spec: BatchNormSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    ctx.require_rank((1, 2, 3), "(features,), (channels, length) or (channels, height, width)",
                     "add a flatten or reshape layer")
    kind = "BatchNorm2d" if len(ctx.shape) == 3 else "BatchNorm1d"
    return nn_call(kind, ctx.shape[0], eps=spec.eps, momentum=spec.momentum)


@register_layer("layernorm")
def layernorm(spec: LayerNormSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    return nn_call("LayerNorm", ctx.shape[-1], eps=spec.eps,
                   elementwise_affine=spec.elementwise_affine)


@register_layer("local_response_norm")
def local_response_norm(spec: LocalResponseNormSpec, ctx: LayerContext) -> Recipe:
    ctx.require_float()
    ctx.require_rank((2, 3), "(channels, length) or (channels, height, width)",
                     "use it after a convolution")
    return nn_call("LocalResponseNorm", spec.size, alpha=spec.alpha, beta=spec.beta, k=spec.k)
