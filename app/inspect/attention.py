"""Attention maps: per attention layer and head, the weights of each query over the keys
(a decoder block's masked self-attention and its cross-attention to the source, each
labelled with the tokens of its queries and keys); and the worked example of scaled
dot-product attention computed by a real layer."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Literal

import torch
from pydantic import BaseModel, Field

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import attention_maps, attention_modules, batch_of
from app.nn.graph_module import GraphNet
from app.spec import NETWORK_INPUT, NetworkSpec, resolve_inputs, topological_order
from app.spec.arrays import EncodedArray
from app.spec.layers.core import SliceSpec

MAX_TOKENS = 256


class LayerAttention(BaseModel):
    id: str
    type: str
    part: Literal["self", "cross"] = Field(description=(
        "self: the queries attend to their own sequence (masked in a decoder); cross: "
        "the queries (a decoder's target positions) attend to another sequence (the "
        "encoder's output, the source)."))
    heads: int
    queries: int
    keys: int
    weights: EncodedArray = Field(description="(heads, queries, keys) float16; each row "
                                              "sums to 1 over the keys.")
    cut: str | None = None
    query_tokens: list[str] | None = Field(default=None, description=(
        "The input token at each query position (the rows), where the network keeps "
        "positions from its token input to this layer (e.g. through slices)."))
    key_tokens: list[str] | None = Field(default=None, description=(
        "The input token at each key position (the columns), likewise."))


class AttentionOut(BaseModel):
    tokens: list[str] | None = Field(default=None, description="Labels of the positions "
                                                               "(text datasets).")
    layers: list[LayerAttention]


# Layers whose output keeps the time axis of their (first) input, position for position
KEEP_POSITIONS = frozenset({"embedding", "positional_encoding", "transformer_encoder_block",
                            "transformer_decoder_block", "multihead_attention", "dense",
                            "dropout", "activation", "layernorm"})


def input_positions(spec: NetworkSpec) -> dict[str, list[int] | None]:
    """Layer id (and 'input') -> the network input position behind each step of its
    output's first axis, where the layers keep them (a slice takes a range of them);
    None where they are lost (a flatten, a pool, a recurrent layer)."""
    inputs = resolve_inputs(spec.layers)
    found: dict[str, list[int] | None] = {NETWORK_INPUT: list(range(spec.input.shape[0]))}
    for layer_id in topological_order(spec.layers):
        layer = spec.layer(layer_id)
        first = found.get(inputs[layer_id][0])
        if first is not None and isinstance(layer, SliceSpec):  # another axis keeps them
            found[layer_id] = first[layer.start:layer.stop] if layer.axis == 0 else first
        else:
            found[layer_id] = first if layer.type in KEEP_POSITIONS else None
    return found


def attention(model: GraphNet, x: torch.Tensor, vocabulary: list[str] | None = None
              ) -> AttentionOut:
    """The attention weights of every attention of the network for one input sequence
    `x`: a decoder block gives its masked self-attention and its cross-attention."""
    maps = attention_maps(model, batch_of(model, x))
    tokens = None
    if vocabulary is not None and model.spec.input.dtype == "token":
        tokens = [vocabulary[i] if 0 <= i < len(vocabulary) else f"<{i}>"
                  for i in x.long().reshape(-1).tolist()]
    positions = input_positions(model.spec) if tokens is not None else {}
    inputs = resolve_inputs(model.spec.layers)

    def labels(source: str) -> list[str] | None:
        kept = positions.get(source)
        return None if tokens is None or kept is None else [tokens[p] for p in kept]

    answer = []
    for layer_id, part, weights in maps:
        heads, queries, keys = weights.shape[1:]
        cut = None
        if queries > MAX_TOKENS or keys > MAX_TOKENS:
            cut = f"first {MAX_TOKENS} queries and keys of {queries}x{keys}"
        reads = inputs[layer_id]
        rows = labels(reads[0])
        columns = labels(reads[1]) if part == "cross" else rows
        answer.append(LayerAttention(
            id=layer_id, type=model.spec.layer(layer_id).type, part=part, heads=heads,
            queries=queries, keys=keys, cut=cut,
            weights=encode(weights[0, :, :MAX_TOKENS, :MAX_TOKENS]),
            query_tokens=rows[:MAX_TOKENS] if rows else None,
            key_tokens=columns[:MAX_TOKENS] if columns else None))
    return AttentionOut(tokens=tokens[:MAX_TOKENS] if tokens else None, layers=answer)


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
