"""Weights matched between networks by layer id and shape, whole layers only."""

from __future__ import annotations

import torch

from app.nn import build
from app.nn.transfer import match_weights
from app.spec import parse_network


def net(hidden: int, extra: bool = False) -> torch.nn.Module:
    layers = [{"id": "h", "type": "dense", "units": hidden, "activation": "relu"},
              {"id": "norm", "type": "batchnorm"},
              {"id": "out", "type": "dense", "units": 2}]
    if extra:
        layers.insert(2, {"id": "h2", "type": "dense", "units": 8})
    return build(parse_network({"input": {"shape": [3]}, "layers": layers}))


def shapes(model: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_same_network_takes_every_layer_with_its_buffers() -> None:
    source = net(4).state_dict()
    matched = match_weights(shapes(net(4)), source, ["h", "norm", "out"])
    assert matched.loaded == ["h", "norm", "out"] and matched.skipped == []
    assert set(matched.state) == set(source)  # batch norm's running stats too


def test_a_widened_layer_and_the_one_it_feeds_start_fresh() -> None:
    matched = match_weights(shapes(net(6)), net(4).state_dict(), ["h", "norm", "out"])
    assert matched.loaded == []
    reasons = {s.layer: s.reason for s in matched.skipped}
    assert reasons["h"] == "weight is [6, 3] here but [4, 3] in the source"
    assert reasons["norm"].startswith("weight is [6] here but [4]")


def test_a_new_layer_is_reported_and_the_rest_is_taken() -> None:
    source = net(4).state_dict()
    matched = match_weights(shapes(net(4, extra=True)), source, ["h", "norm", "h2", "out"])
    assert matched.loaded == ["h", "norm"]
    assert [(s.layer, s.reason) for s in matched.skipped] == [
        ("h2", "the source has no layer with this id"),
        ("out", "weight is [2, 8] here but [2, 4] in the source")]
    assert all(torch.equal(matched.state[k], source[k]) for k in matched.state)
    assert not any(k.startswith(("h2.", "out.")) for k in matched.state)
