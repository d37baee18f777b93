"""The worked example of scaled dot-product attention, computed by a real layer: the
weights it gives are softmax(q·k / sqrt(d_k)) by hand, whatever the layer's own weights,
heads or mask, and the layer itself is left untouched."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from app.inspect import InspectError, worked_attention
from app.nn import build
from app.nn.graph_module import GraphNet
from app.spec import parse_network


def _net(layers: list[dict[str, Any]], shape: list[int], **inp: Any) -> GraphNet:
    torch.manual_seed(0)
    return build(parse_network({"input": {"shape": shape, **inp}, "layers": layers}))


def _by_hand(scores: list[float], d_k: int) -> list[float]:
    return torch.softmax(torch.tensor(scores) / math.sqrt(d_k), dim=0).tolist()


def test_one_head_of_64_gives_the_course_s_numbers() -> None:
    model = _net([{"id": "att", "type": "multihead_attention", "num_heads": 1}], [3, 64])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    worked = worked_attention(model, "att", [112, 96])
    assert (worked.heads, worked.d_k) == (1, 64)
    assert worked.scores == pytest.approx([112, 96])
    assert worked.weights == pytest.approx([0.881, 0.119], abs=5e-4)
    assert worked.weights == pytest.approx(_by_hand([112, 96], 64), abs=1e-6)
    assert worked.query == [1.0] * 64 and worked.keys == [[1.75] * 64, [1.5] * 64]
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # a copy was set, not it
    assert model.layer("att").keep_weights is False


def test_narrower_heads_scale_less_and_a_causal_mask_does_not_apply() -> None:
    model = _net([{"id": "emb", "type": "embedding", "dim": 64},
                  {"id": "block", "type": "transformer_encoder_block", "num_heads": 4,
                   "ff_dim": 32, "causal": True}], [8], dtype="token", vocab_size=10)
    worked = worked_attention(model, "block", [112, 96, 100])
    assert (worked.heads, worked.d_k) == (4, 16)
    assert worked.scores == pytest.approx([112, 96, 100])
    assert worked.weights == pytest.approx(_by_hand([112, 96, 100], 16), abs=1e-6)
    assert worked.weights[0] > 0.93  # softmax(28, 24, 25): sharper than with d_k 64


def test_only_a_self_attention_layer_works_it_out() -> None:
    dense = _net([{"id": "d", "type": "dense", "units": 2}], [3])
    with pytest.raises(InspectError, match="layer 'd' has no attention; attention layers: none"):
        worked_attention(dense, "d", [1, 2])
    cross = _net([{"id": "ctx", "type": "dense", "units": 8, "inputs": ["input"]},
                  {"id": "q", "type": "dense", "units": 4, "inputs": ["input"]},
                  {"id": "att", "type": "multihead_attention", "num_heads": 1,
                   "inputs": ["q", "ctx"]}], [5, 3])
    with pytest.raises(InspectError, match="another width"):
        worked_attention(cross, "att", [1, 2])
