"""Attention maps: per attention layer and head, the weights of each query over the keys."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import encode
from app.inspect.capture import attention_maps, batch_of
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_TOKENS = 256


class LayerAttention(BaseModel):
    id: str
    type: str
    heads: int
    queries: int
    keys: int
    weights: EncodedArray = Field(description="(heads, queries, keys) float16; each row "
                                              "sums to 1 over the keys.")
    cut: str | None = None


class AttentionOut(BaseModel):
    tokens: list[str] | None = Field(default=None, description="Labels of the positions "
                                                               "(text datasets).")
    layers: list[LayerAttention]


def attention(model: GraphNet, x: torch.Tensor, vocabulary: list[str] | None = None
              ) -> AttentionOut:
    """The attention weights of every attention layer for one input sequence `x`."""
    maps = attention_maps(model, batch_of(model, x))
    answer = []
    for layer_id, weights in maps.items():
        heads, queries, keys = weights.shape[1:]
        cut = None
        if queries > MAX_TOKENS or keys > MAX_TOKENS:
            cut = f"first {MAX_TOKENS} queries and keys of {queries}x{keys}"
        answer.append(LayerAttention(id=layer_id, type=model.spec.layer(layer_id).type,
                                     heads=heads, queries=queries, keys=keys, cut=cut,
                                     weights=encode(weights[0, :, :MAX_TOKENS, :MAX_TOKENS])))
    tokens = None
    if vocabulary is not None and model.spec.input.dtype == "token":
        tokens = [vocabulary[i] if 0 <= i < len(vocabulary) else f"<{i}>"
                  for i in x.long().reshape(-1)[:MAX_TOKENS].tolist()]
    return AttentionOut(tokens=tokens, layers=answer)
