"""Normalisation layers."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from app.spec.base import Category, LayerSpecBase

_EPS = Field(default=1e-5, gt=0.0, le=1.0, description="Added to the variance for stability.")


class BatchNormSpec(LayerSpecBase):
    """Batch normalisation; 1-D for (F,) or (C, L) inputs, 2-D for (C, H, W) images."""

    category: ClassVar[Category] = "normalization"
    type: Literal["batchnorm"] = "batchnorm"
    momentum: float = Field(
        default=0.1, gt=0.0, le=1.0, description="Weight of each batch in the running statistics."
    )
    eps: float = _EPS


class LayerNormSpec(LayerSpecBase):
    """Layer normalisation over the last axis (the features of each position)."""

    category: ClassVar[Category] = "normalization"
    type: Literal["layernorm"] = "layernorm"
    eps: float = _EPS
    elementwise_affine: bool = Field(default=True, description="Learn a scale and a shift.")


class LocalResponseNormSpec(LayerSpecBase):
    """Local response normalisation across neighbouring channels (AlexNet's LRN)."""

    category: ClassVar[Category] = "normalization"
    type: Literal["local_response_norm"] = "local_response_norm"
    size: int = Field(default=5, ge=1, le=64, description="Number of neighbouring channels.")
    alpha: float = Field(default=1e-4, ge=0.0, le=10.0, description="Scale of the sum.")
    beta: float = Field(default=0.75, ge=0.0, le=10.0, description="Exponent.")
    k: float = Field(default=2.0, ge=0.0, le=100.0, description="Additive constant.")
