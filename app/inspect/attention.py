"""Attention maps: per attention layer and head, the weights of each query over the keys;
and the worked example of scaled dot-product attention computed by a real layer."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import attention_maps, attention_modules, batch_of
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


class WorkedAttention(BaseModel):
    """One query attending to a few keys in a real attention layer, every step shown."""

    layer: str
    heads: int
    d_k: int = Field(description="The width of each head's queries and keys.")
    query: list[float] = Field(description="The query vector fed to the layer (its width).")
    keys: list[list[float]] = Field(description="The key vectors, one per key.")
    scores: list[float] = Field(description="q·k of the projected query and each projected "
                                            "key, in the first head (every head alike).")
    weights: list[float] = Field(description="The attention weights the layer computed, "
                                             "softmax(scores / sqrt(d_k)), in the first head.")


@torch.no_grad()
def worked_attention(model: GraphNet, layer_id: str, scores: Sequence[float]
                     ) -> WorkedAttention:
    """The worked example on the attention of layer `layer_id`: a copy of it gets identity
    query, key, value and output projections without biases, so that a query of ones
    and keys of ones times scores[i] / d_k have the dot product scores[i] in every head;
    the layer then computes the weights itself. The example has no positions, so the
    copy has no causal mask. The model itself is left as it is."""
    modules = attention_modules(model)
    if layer_id not in modules:
        raise InspectError(f"layer {layer_id!r} has no attention; attention layers: "
                           f"{', '.join(modules) or 'none'}")
    layer = copy.deepcopy(modules[layer_id]).cpu().float().eval()
    mha = layer.mha
    if not mha._qkv_same_embed_dim:
        raise InspectError(f"layer {layer_id!r} attends to a sequence of another width: "
                           "the worked example needs self-attention")
    dim, heads, d_k = mha.embed_dim, mha.num_heads, mha.head_dim
    eye = torch.eye(dim)
    assert mha.in_proj_weight is not None
    mha.in_proj_weight.copy_(torch.cat([eye, eye, eye]))  # (3D, D): q, k, v = x
    mha.out_proj.weight.copy_(eye)
    for bias in (mha.in_proj_bias, mha.out_proj.bias):
        if bias is not None:
            bias.zero_()
    layer.causal, layer.keep_weights = False, True
    query = torch.ones(1, 1, dim)  # (B=1, T_q=1, D)
    keys = torch.stack([torch.full((dim,), s / d_k) for s in scores])[None]  # (1, T_k, D)
    layer(query, keys)
    assert layer.weights is not None
    w_q, w_k, _ = mha.in_proj_weight.chunk(3)  # each (D, D)
    q, k = query[0, 0] @ w_q.T, keys[0] @ w_k.T  # (D,), (T_k, D): the projections
    dots = (k[:, :d_k] @ q[:d_k]).tolist()  # the first head's q·k per key
    return WorkedAttention(layer=layer_id, heads=heads, d_k=d_k, query=query[0, 0].tolist(),
                           keys=keys[0].tolist(), scores=dots,
                           weights=layer.weights[0, 0, 0].tolist())  # (B, heads, T_q, T_k)
