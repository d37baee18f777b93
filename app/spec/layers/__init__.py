"""The layer catalog: one spec class per layer type, joined in a discriminated union."""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from app.spec.base import LayerSpecBase
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
from app.spec.layers.core import (
    ActivationSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    PermuteSpec,
    ReshapeSpec,
    SliceSpec,
)
from app.spec.layers.generative import SamplingSpec
from app.spec.layers.merge import AddSpec, ConcatSpec, MultiplySpec
from app.spec.layers.norm import BatchNormSpec, LayerNormSpec, LocalResponseNormSpec
from app.spec.layers.sequence import (
    EmbeddingSpec,
    GRUSpec,
    LSTMSpec,
    MultiheadAttentionSpec,
    PositionalEncodingSpec,
    RNNSpec,
    SequencePoolSpec,
    TransformerDecoderBlockSpec,
    TransformerEncoderBlockSpec,
)

LayerSpec = Annotated[
    DenseSpec
    | ActivationSpec
    | DropoutSpec
    | FlattenSpec
    | ReshapeSpec
    | PermuteSpec
    | SliceSpec
    | Conv1dSpec
    | Conv2dSpec
    | ConvTranspose2dSpec
    | MaxPool1dSpec
    | MaxPool2dSpec
    | AvgPool2dSpec
    | GlobalAvgPool2dSpec
    | GlobalMaxPool2dSpec
    | Upsample2dSpec
    | BatchNormSpec
    | LayerNormSpec
    | LocalResponseNormSpec
    | EmbeddingSpec
    | RNNSpec
    | LSTMSpec
    | GRUSpec
    | PositionalEncodingSpec
    | MultiheadAttentionSpec
    | TransformerEncoderBlockSpec
    | TransformerDecoderBlockSpec
    | SequencePoolSpec
    | AddSpec
    | ConcatSpec
    | MultiplySpec
    | SamplingSpec,
    Field(discriminator="type"),
]
"""Any layer; pydantic picks the class from the `type` field."""


def _catalog() -> dict[str, type[LayerSpecBase]]:
    classes: tuple[type[LayerSpecBase], ...] = get_args(get_args(LayerSpec)[0])
    return {str(cls.model_fields["type"].default): cls for cls in classes}


LAYER_TYPES: dict[str, type[LayerSpecBase]] = _catalog()
"""Layer type name -> spec class, in catalog order."""

__all__ = ["LAYER_TYPES", "LayerSpec", "LayerSpecBase"]
