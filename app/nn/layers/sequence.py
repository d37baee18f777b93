"""Builders for sequence layers. Sequences are (time, features) per sample."""

from __future__ import annotations

from app.nn.errors import shape_text
from app.nn.recipe import Recipe, custom_call, nn_call
from app.nn.registry import LayerContext, register_layer
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

SEQUENCE = "(time, features)"
SEQUENCE_HINT = "put an embedding layer before it for tokens, or reshape to (time, features)"


def _require_sequence(ctx: LayerContext) -> None:
    ctx.require_float()
    ctx.require_rank((2,), SEQUENCE, SEQUENCE_HINT)


@register_layer("embedding")
def embedding(spec: EmbeddingSpec, ctx: LayerContext) -> Recipe:
    if ctx.in_dtypes[0].is_floating_point:
        ctx.fail("needs token ids but its input is float: set input.dtype to 'token' "
                 "and give input.vocab_size")
    network_vocab = ctx.network_input.vocab_size
    vocab = spec.vocab_size or network_vocab
    if vocab is None:
        ctx.fail("needs a vocab_size: set it here or on the token input", "vocab_size")
    if network_vocab is not None and vocab < network_vocab:
        ctx.fail(f"vocab_size {vocab} is smaller than the input's vocab_size {network_vocab}: "
                 "some token ids would have no vector", "vocab_size")
    return nn_call("Embedding", vocab, spec.dim)


def _recurrent(spec: RNNSpec | LSTMSpec | GRUSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    # torch applies dropout only between stacked layers (and warns otherwise).
    dropout = spec.dropout if spec.num_layers > 1 else 0.0
    return custom_call("Recurrent", spec.type, ctx.shape[-1], spec.hidden_size,
                       num_layers=spec.num_layers, bidirectional=spec.bidirectional,
                       return_sequences=spec.return_sequences, dropout=dropout)


@register_layer("rnn")
def rnn(spec: RNNSpec, ctx: LayerContext) -> Recipe:
    return _recurrent(spec, ctx)


@register_layer("lstm")
def lstm(spec: LSTMSpec, ctx: LayerContext) -> Recipe:
    return _recurrent(spec, ctx)


@register_layer("gru")
def gru(spec: GRUSpec, ctx: LayerContext) -> Recipe:
    return _recurrent(spec, ctx)


@register_layer("positional_encoding")
def positional_encoding(spec: PositionalEncodingSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    if ctx.shape[0] > spec.max_len:
        ctx.fail(f"the sequence has {ctx.shape[0]} steps but max_len is {spec.max_len}",
                 "max_len")
    return custom_call("PositionalEncoding", ctx.shape[-1], max_len=spec.max_len,
                       kind=spec.kind, dropout=spec.dropout)


def _check_heads(ctx: LayerContext, num_heads: int) -> int:
    dim = ctx.shape[-1]
    if dim % num_heads:
        ctx.fail(f"num_heads {num_heads} must divide the width {dim} of its input", "num_heads")
    return dim


@register_layer("multihead_attention")
def multihead_attention(spec: MultiheadAttentionSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    dim = _check_heads(ctx, spec.num_heads)
    kwargs: dict[str, object] = {"causal": spec.causal, "dropout": spec.dropout}
    if len(ctx.in_shapes) == 2:
        context = ctx.in_shapes[1]
        if len(context) != 2:
            ctx.fail(f"attends to '{ctx.in_ids[1]}', whose {shape_text(context)} output is not "
                     f"a {SEQUENCE} sequence", "inputs")
        if context[-1] != dim:
            kwargs["kv_dim"] = context[-1]
    return custom_call("Attention", dim, spec.num_heads, **kwargs)


@register_layer("transformer_encoder_block")
def transformer_encoder_block(spec: TransformerEncoderBlockSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    dim = _check_heads(ctx, spec.num_heads)
    return custom_call("TransformerBlock", dim, spec.num_heads, spec.ff_dim,
                       dropout=spec.dropout, causal=spec.causal, activation=spec.activation)


@register_layer("transformer_decoder_block")
def transformer_decoder_block(spec: TransformerDecoderBlockSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    dim = _check_heads(ctx, spec.num_heads)
    memory, memory_dtype = ctx.in_shapes[1], ctx.in_dtypes[1]
    if not memory_dtype.is_floating_point:
        ctx.fail(f"its second input '{ctx.in_ids[1]}' gives token ids: list as inputs "
                 "[the target sequence, the encoder's output], both after an embedding",
                 "inputs")
    if len(memory) != 2:
        ctx.fail(f"its second input '{ctx.in_ids[1]}' gives a {shape_text(memory)} output, "
                 f"not the encoder's {SEQUENCE} sequence: list as inputs [the target "
                 "sequence, the encoder's output]", "inputs")
    kwargs: dict[str, object] = {"dropout": spec.dropout, "activation": spec.activation}
    if memory[-1] != dim:
        kwargs["memory_dim"] = memory[-1]
    return custom_call("TransformerDecoderBlock", dim, spec.num_heads, spec.ff_dim, **kwargs)


@register_layer("sequence_pool")
def sequence_pool(spec: SequencePoolSpec, ctx: LayerContext) -> Recipe:
    _require_sequence(ctx)
    return custom_call("SequencePool", spec.mode)
