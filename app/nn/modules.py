"""The few modules torch.nn lacks. Code export copies their source verbatim into the
generated file, so this module may import nothing but math and torch."""

import math

import torch
from torch import nn


class Reshape(nn.Module):
    """Reshapes each sample, keeping the batch dimension."""

    def __init__(self, shape: list[int]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Permute(nn.Module):
    """Reorders the sample axes, keeping the batch axis first."""

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, *(d + 1 for d in self.dims))


class Slice(nn.Module):
    """Keeps indices start..stop-1 of one sample axis (the batch axis stays whole)."""

    def __init__(self, start: int, stop: int, axis: int = 0) -> None:
        super().__init__()
        self.start, self.stop, self.axis = start, stop, axis

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.narrow(self.axis + 1, self.start, self.stop - self.start)

    def extra_repr(self) -> str:
        return f"start={self.start}, stop={self.stop}, axis={self.axis}"


class Recurrent(nn.Module):
    """An RNN, LSTM or GRU on (B, T, D) that returns every step or the final state."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        rnn_class = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_class(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                             bidirectional=bidirectional, dropout=dropout)
        self.return_sequences = return_sequences
        self.directions = 2 if bidirectional else 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, state = self.rnn(x)  # out: (B, T, dirs * H)
        if self.return_sequences:
            return out
        h = state[0] if isinstance(state, tuple) else state  # (layers * dirs, B, H)
        last = h[-self.directions:]  # the top layer, each direction: (dirs, B, H)
        return last.transpose(0, 1).reshape(x.shape[0], -1)  # (B, dirs * H)


class PositionalEncoding(nn.Module):
    """Adds sinusoidal or learned position vectors to a (B, T, D) sequence."""

    def __init__(self, dim: int, max_len: int = 512, kind: str = "sinusoidal",
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.kind = kind
        if kind == "learned":
            self.table = nn.Parameter(torch.zeros(max_len, dim))
            nn.init.normal_(self.table, std=0.02)
        else:
            position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
            freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32)
                             * (-math.log(10000.0) / dim))
            table = torch.zeros(max_len, dim)
            table[:, 0::2] = torch.sin(position * freq)
            table[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
            self.register_buffer("table", table, persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.table[: x.shape[1]])  # table[:T]: (T, D)


class Attention(nn.Module):
    """Multi-head attention on (B, T, D). Set `keep_weights` to keep the last
    attention map in `.weights` as (B, heads, T_query, T_key) for inspection."""

    def __init__(self, dim: int, num_heads: int, kv_dim: int | None = None,
                 causal: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True,
                                         kdim=kv_dim, vdim=kv_dim)
        self.causal = causal
        self.keep_weights = False
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        kv = x if context is None else context
        mask = None
        if self.causal:
            t_q, t_k = x.shape[1], kv.shape[1]
            mask = torch.ones(t_q, t_k, dtype=torch.bool, device=x.device).triu(1)
        out, weights = self.mha(x, kv, kv, attn_mask=mask, need_weights=self.keep_weights,
                                average_attn_weights=False)
        if self.keep_weights:
            self.weights = weights.detach()
        return out


def feed_forward(dim: int, ff_dim: int, activation: str, dropout: float) -> nn.Sequential:
    """A transformer block's position-wise feed-forward net: dim -> ff_dim -> dim."""
    return nn.Sequential(
        nn.Linear(dim, ff_dim),
        nn.GELU() if activation == "gelu" else nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(ff_dim, dim),
    )


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: x + attention(norm(x)), then x + feed_forward(norm(x))."""

    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.1,
                 causal: bool = False, activation: str = "gelu") -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, num_heads, causal=causal, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.feed_forward = feed_forward(dim, ff_dim, activation, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x)))
        return x + self.dropout(self.feed_forward(self.norm2(x)))


class TransformerDecoderBlock(nn.Module):
    """Pre-norm decoder block on a target x (B, T, D) and an encoder output (B, S, E):
    x + masked_self_attention(norm(x)), then x + cross_attention(norm(x), memory),
    then x + feed_forward(norm(x)). The causal mask keeps each target position from
    seeing the ones after it; cross-attention reads every source position."""

    def __init__(self, dim: int, num_heads: int, ff_dim: int, memory_dim: int | None = None,
                 dropout: float = 0.1, activation: str = "gelu") -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attention = Attention(dim, num_heads, causal=True, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attention = Attention(dim, num_heads, kv_dim=memory_dim, dropout=dropout)
        self.norm3 = nn.LayerNorm(dim)
        self.feed_forward = feed_forward(dim, ff_dim, activation, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.self_attention(self.norm1(x)))  # (B, T, D)
        x = x + self.dropout(self.cross_attention(self.norm2(x), memory))  # T queries, S keys
        return x + self.dropout(self.feed_forward(self.norm3(x)))


class SequencePool(nn.Module):
    """Reduces (B, T, D) to (B, D): the last step, the mean or the max over time."""

    def __init__(self, mode: str = "mean") -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "last":
            return x[:, -1]
        if self.mode == "max":
            return x.amax(dim=1)
        return x.mean(dim=1)


class GlobalPool2d(nn.Module):
    """Averages or takes the max of each channel over the image: (B, C, H, W) to (B, C)."""

    def __init__(self, mode: str = "avg") -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=(2, 3)) if self.mode == "max" else x.mean(dim=(2, 3))


class Add(nn.Module):
    """Element-wise sum of its inputs."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Sampling(nn.Module):
    """z = mean + exp(log_var / 2) * noise in training, the mean in evaluation; keeps
    the batch's KL divergence from the unit gaussian in `kl` (summed over the latent
    dimensions, averaged over the batch) for the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.kl = torch.zeros(())

    def __deepcopy__(self, memo: dict[int, object]) -> "Sampling":
        # `kl` may hold the last step's autograd graph, which cannot be deep-copied
        twin = Sampling()
        twin.train(self.training)
        memo[id(self)] = twin
        return twin

    def forward(self, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, mean.dim()))
        kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp())
        self.kl = kl.sum(dim=dims).mean() if dims else kl.mean()
        if not self.training:
            return mean
        return mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)


class Multiply(nn.Module):
    """Element-wise product of its inputs."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Joins its inputs along one sample axis."""

    def __init__(self, axis: int = 0) -> None:
        super().__init__()
        self.dim = axis + 1 if axis >= 0 else axis

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


def with_weights(layer: nn.Conv1d | nn.Conv2d, weight: list[object],
                 bias: list[float] | None = None) -> nn.Module:
    """The layer with its weight (and bias) set to the values given, e.g. a kernel set
    by hand; they still train like any other."""
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight, dtype=layer.weight.dtype))
        if bias is not None and layer.bias is not None:
            layer.bias.copy_(torch.tensor(bias, dtype=layer.bias.dtype))
    return layer


__all__ = [
    "Add",
    "Attention",
    "Concat",
    "GlobalPool2d",
    "Multiply",
    "Permute",
    "PositionalEncoding",
    "Recurrent",
    "Reshape",
    "Sampling",
    "SequencePool",
    "Slice",
    "TransformerBlock",
    "TransformerDecoderBlock",
    "feed_forward",
    "with_weights",
]
