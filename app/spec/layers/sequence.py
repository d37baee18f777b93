"""Sequence layers: embeddings, recurrent cells, attention. Sequences are (T, D)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from app.spec.base import Category, LayerSpecBase


class EmbeddingSpec(LayerSpecBase):
    """Maps token ids to learned vectors: (T,) ids to (T, dim)."""

    category: ClassVar[Category] = "sequence"
    type: Literal["embedding"] = "embedding"
    dim: int = Field(ge=1, le=8192, description="Size of each token vector.")
    vocab_size: int | None = Field(
        default=None,
        ge=2,
        le=1_000_000,
        description="Number of distinct tokens; default: the network input's vocab_size.",
    )


class _RecurrentBase(LayerSpecBase):
    category: ClassVar[Category] = "sequence"
    hidden_size: int = Field(default=64, ge=1, le=8192, description="Size of the hidden state.")
    num_layers: int = Field(default=1, ge=1, le=16, description="Stacked recurrent layers.")
    bidirectional: bool = Field(default=False, description="Also read the sequence backwards.")
    return_sequences: bool = Field(
        default=False,
        description="Output every step (T, H) instead of the final state (H,).",
    )
    dropout: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Dropout between stacked layers."
    )


class RNNSpec(_RecurrentBase):
    """Plain (Elman) recurrent layer with tanh."""

    type: Literal["rnn"] = "rnn"


class LSTMSpec(_RecurrentBase):
    """Long short-term memory: gated memory cells that keep long-range context."""

    type: Literal["lstm"] = "lstm"


class GRUSpec(_RecurrentBase):
    """Gated recurrent unit: a lighter LSTM with two gates."""

    type: Literal["gru"] = "gru"


class PositionalEncodingSpec(LayerSpecBase):
    """Adds position information to a (T, D) sequence."""

    category: ClassVar[Category] = "sequence"
    type: Literal["positional_encoding"] = "positional_encoding"
    kind: Literal["sinusoidal", "learned"] = Field(
        default="sinusoidal", description="Fixed sine/cosine waves or a learned table."
    )
    max_len: int = Field(default=512, ge=1, le=8192, description="Longest sequence supported.")
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0, description="Dropout after adding.")


class MultiheadAttentionSpec(LayerSpecBase):
    """Scaled dot-product attention with several heads.

    One input is self-attention; a second input is the sequence to attend to
    (cross-attention). The attention weights stay reachable for inspection.
    """

    category: ClassVar[Category] = "sequence"
    max_inputs: ClassVar[int] = 2
    type: Literal["multihead_attention"] = "multihead_attention"
    num_heads: int = Field(default=4, ge=1, le=64, description="Heads; must divide the width.")
    causal: bool = Field(default=False, description="Each position sees only earlier ones.")
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0, description="Dropout on the weights.")


class TransformerEncoderBlockSpec(LayerSpecBase):
    """A pre-norm transformer encoder block: self-attention and a feed-forward net,
    each with a residual connection."""

    category: ClassVar[Category] = "sequence"
    type: Literal["transformer_encoder_block"] = "transformer_encoder_block"
    num_heads: int = Field(default=4, ge=1, le=64, description="Heads; must divide the width.")
    ff_dim: int = Field(default=256, ge=1, le=65536, description="Feed-forward hidden size.")
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0, description="Dropout rate.")
    causal: bool = Field(default=False, description="Each position sees only earlier ones.")
    activation: Literal["relu", "gelu"] = Field(
        default="gelu", description="Feed-forward activation."
    )


class TransformerDecoderBlockSpec(LayerSpecBase):
    """A pre-norm transformer decoder block: masked self-attention, cross-attention to an
    encoder's output and a feed-forward net, each with a residual connection. Its inputs
    are [the target sequence, the encoder output]: (T, D) and (S, D_enc) give (T, D)."""

    category: ClassVar[Category] = "sequence"
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int] = 2
    type: Literal["transformer_decoder_block"] = "transformer_decoder_block"
    num_heads: int = Field(default=4, ge=1, le=64, description="Heads; must divide the width.")
    ff_dim: int = Field(default=256, ge=1, le=65536, description="Feed-forward hidden size.")
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0, description="Dropout rate.")
    activation: Literal["relu", "gelu"] = Field(
        default="gelu", description="Feed-forward activation."
    )


class SequencePoolSpec(LayerSpecBase):
    """Reduces a (T, D) sequence to one (D,) vector."""

    category: ClassVar[Category] = "sequence"
    type: Literal["sequence_pool"] = "sequence_pool"
    mode: Literal["last", "mean", "max"] = Field(
        default="mean", description="Take the last step, the mean or the max over time."
    )
