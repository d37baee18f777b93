"""Greedy decoding of an encoder-decoder (a seq2seq network): the decoder is fed its own
predictions, one target position at a time, instead of the true target it read in
training (teacher forcing). The input holds the source, then the decoder's input: a
start token and the target so far. The causal mask keeps each position from seeing the
ones after it, so what stands there before it is decoded does not matter."""

from __future__ import annotations

import torch

from app.inspect.arrays import InspectError
from app.inspect.capture import evaluating
from app.nn.graph_module import GraphNet

EVAL_BATCH = 1024


@torch.no_grad()
def greedy_decode(model: GraphNet, x: torch.Tensor, source_len: int, start: int,
                  max_batch: int = EVAL_BATCH) -> torch.Tensor:
    """(N, T) token ids the model writes for inputs x (N, source_len + T): the source
    positions are read as given, the decoder's from the start token and its own
    predictions; whatever x holds at the decoder's positions is never read."""
    positions = x.shape[1] - source_len
    if positions < 1:
        raise InspectError(f"the input has {x.shape[1]} tokens, no more than the source's "
                           f"{source_len}: no target position to decode")
    device = next(model.parameters(), torch.empty(0)).device
    written = []
    with evaluating(model):
        for first in range(0, len(x), max_batch):
            batch = x[first:first + max_batch].to(device).clone()
            batch[:, source_len:] = 0
            batch[:, source_len] = start
            for t in range(positions):
                out = model(batch)  # (B, T, vocab)
                if out.dim() != 3 or out.shape[1] != positions:
                    raise InspectError(f"the network's output {tuple(out.shape[1:])} is not "
                                       f"one row of scores per target position ({positions})")
                guess = out[:, t].argmax(dim=-1)  # (B,)
                if t + 1 < positions:
                    batch[:, source_len + t + 1] = guess
            written.append(torch.cat([batch[:, source_len + 1:], guess[:, None]], dim=1).cpu())
    return torch.cat(written)
