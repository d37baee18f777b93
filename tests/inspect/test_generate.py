"""Text generation draws one token at a time from the model's next-token scores, and
never a banned one: a character model writes characters, not the unknown symbol (whose
name, "<unk>", would come out as five characters)."""

from __future__ import annotations

import torch

from app.inspect.sequences import generate
from app.nn import build
from app.spec import parse_network

VOCAB = 8


def _prefers_token_zero() -> torch.nn.Module:
    """A next-token model over 4 ids whose scores put nearly all weight on id 0."""
    model = build(parse_network({
        "input": {"shape": [4], "dtype": "token", "vocab_size": VOCAB},
        "layers": [{"id": "embed", "type": "embedding", "dim": 4},
                   {"id": "pool", "type": "sequence_pool", "mode": "last"},
                   {"id": "out", "type": "dense", "units": VOCAB}]}))
    with torch.no_grad():
        out = model.layer("out")
        out.weight.zero_()
        out.bias.copy_(torch.tensor([20.0] + [0.0] * (VOCAB - 1)))
    return model


def test_the_likeliest_token_is_drawn_unless_it_is_banned() -> None:
    model = _prefers_token_zero()
    assert generate(model, [1, 2], 5, temperature=1.0) == [0] * 5
    allowed = generate(model, [1, 2], 50, temperature=1.0, banned=[0])
    assert len(allowed) == 50 and 0 not in allowed
    assert generate(model, [1, 2], 3, temperature=0.0, banned=[0, 1]) == [2, 2, 2]
