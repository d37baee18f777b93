"""The reconstruction view against oracles: a network that copies its input (no error),
one that halves it (each sample's error is a quarter of its mean square, by hand), and
one whose logits are all zero (a sigmoid gives 0.5 everywhere)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

import app.inspect.reconstruction as module
from app.inspect import InspectError, decode, reconstructions
from app.nn import build
from app.nn.graph_module import GraphNet
from app.spec import parse_network

SHAPE = [1, 2, 3]  # a tiny picture: 6 values


def _scaled(scale: float, bias: float = 0.0, dropout: bool = False) -> GraphNet:
    """flatten -> dense(6) with weight scale * I and the given bias -> reshape back."""
    layers: list[dict[str, Any]] = [{"id": "flat", "type": "flatten"},
                                    {"id": "dense", "type": "dense", "units": 6}]
    if dropout:
        layers.append({"id": "drop", "type": "dropout", "rate": 0.5})
    layers.append({"id": "out", "type": "reshape", "shape": SHAPE})
    model = build(parse_network({"input": {"shape": SHAPE}, "layers": layers}))
    with torch.no_grad():
        model.layer("dense").weight.copy_(scale * torch.eye(6))
        model.layer("dense").bias.fill_(bias)
    return model


def _data(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, *SHAPE, generator=torch.Generator().manual_seed(seed))


def _by_hand(x: torch.Tensor, rebuild: Any) -> list[float]:
    """Mean squared error of each sample, one value at a time."""
    errors = []
    for sample in x.tolist():
        values = [v for row in sample[0] for v in row]
        errors.append(sum((rebuild(v) - v) ** 2 for v in values) / len(values))
    return errors


def test_a_network_that_copies_its_input_has_no_error() -> None:
    x = _data(20)
    answer = reconstructions(_scaled(1.0), x, "reconstruction", samples=5, worst=3)
    assert answer.samples == 20 and answer.mean_error == 0.0 and answer.cut is None
    assert decode(answer.errors).tolist() == [0.0] * 20
    assert [s.index for s in answer.shown] == [0, 1, 2, 3, 4]
    for shown in answer.shown:
        assert shown.error == 0.0 and shown.input is not None
        assert shown.reconstruction is not None
        assert list(decode(shown.input).shape) == SHAPE
        assert torch.allclose(decode(shown.input), x[shown.index], atol=1e-3)
        assert torch.equal(decode(shown.reconstruction), decode(shown.input))
    assert sum(answer.histogram.counts) == 20 and answer.histogram.high == 0.0


def test_per_sample_errors_and_the_worst_samples_match_a_hand_computation() -> None:
    x = _data(30, seed=1)
    expected = _by_hand(x, lambda v: 0.5 * v)  # a quarter of each sample's mean square
    answer = reconstructions(_scaled(0.5), x, "reconstruction", samples=4, worst=5)
    errors = decode(answer.errors).tolist()
    assert errors == pytest.approx(expected, rel=1e-5)
    assert answer.mean_error == pytest.approx(sum(expected) / 30, rel=1e-5)
    ranked = sorted(range(30), key=lambda i: -expected[i])
    assert [s.index for s in answer.worst] == ranked[:5]
    assert [s.error for s in answer.worst] == pytest.approx([expected[i] for i in ranked[:5]],
                                                            rel=1e-5)
    for worst in answer.worst:
        assert worst.input is not None and worst.reconstruction is not None
        assert torch.allclose(decode(worst.input), x[worst.index], atol=1e-3)
        assert torch.allclose(decode(worst.reconstruction), 0.5 * x[worst.index], atol=1e-3)
    assert [s.error for s in answer.shown] == pytest.approx(expected[:4], rel=1e-5)
    histogram = answer.histogram
    assert histogram.low == pytest.approx(min(expected), rel=1e-5)
    assert histogram.high == pytest.approx(max(expected), rel=1e-5)
    assert sum(histogram.counts) == 30 and len(histogram.counts) == 32
    assert histogram.counts[0] >= 1 and histogram.counts[-1] >= 1  # the least and the largest
    width = (max(expected) - min(expected)) / 32
    by_hand = [0] * 32
    for e in expected:
        by_hand[min(31, math.floor((e - min(expected)) / width))] += 1
    assert histogram.counts == by_hand


def test_logits_are_compared_after_a_sigmoid() -> None:
    x = _data(6, seed=2)
    answer = reconstructions(_scaled(0.0), x, "reconstruction", logits=True)
    assert decode(answer.errors).tolist() == pytest.approx(_by_hand(x, lambda v: 0.5), rel=1e-5)
    assert answer.shown[0].reconstruction is not None
    assert decode(answer.shown[0].reconstruction).unique().tolist() == [0.5]
    plain = reconstructions(_scaled(0.0, bias=0.25), x, "reconstruction")
    assert decode(plain.errors).tolist() == pytest.approx(_by_hand(x, lambda v: 0.25), rel=1e-5)


def test_batches_give_the_same_answer_and_the_model_is_left_as_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = _scaled(0.5, dropout=True)  # in eval mode the dropout lets everything through
    model.train()
    x = _data(10, seed=3)
    whole = reconstructions(model, x, "reconstruction")
    monkeypatch.setattr(module, "BATCH", 3)
    batched = reconstructions(model, x, "reconstruction")
    assert model.training
    assert decode(batched.errors).tolist() == decode(whole.errors).tolist()
    assert decode(whole.errors).tolist() == pytest.approx(_by_hand(x, lambda v: 0.5 * v),
                                                          rel=1e-5)
    assert all(p.grad is None for p in model.parameters())


def test_answers_are_bounded_and_say_what_was_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    model, x = _scaled(0.5), _data(100, seed=4)
    answer = reconstructions(model, x, "reconstruction", samples=1000, worst=1000)
    assert len(answer.shown) == module.MAX_SHOWN and len(answer.worst) == module.MAX_WORST
    few = reconstructions(model, x[:3], "reconstruction", samples=16, worst=8)
    assert len(few.shown) == 3 and len(few.worst) == 3
    none = reconstructions(model, x, "reconstruction", samples=0, worst=0)
    assert none.shown == [] and none.worst == [] and none.samples == 100
    monkeypatch.setattr(module, "MAX_SCORED", 40)
    monkeypatch.setattr(module, "MAX_INPUT_VALUES", 5)
    cut = reconstructions(model, x, "reconstruction", samples=2, worst=2)
    assert cut.samples == 40 and decode(cut.errors).shape == (40,)
    assert max(s.index for s in cut.worst) < 40
    assert "first 40 of 100" in (cut.cut or "") and "6 values" in (cut.cut or "")
    assert all(s.input is None and s.reconstruction is None for s in cut.shown + cut.worst)


def test_only_an_autoencoder_has_reconstructions() -> None:
    model = _scaled(1.0)
    for output in ("classes", "binary", "value", "tokens"):
        with pytest.raises(InspectError, match=f"not a {output} output"):
            reconstructions(model, _data(4), output)  # type: ignore[arg-type]
    with pytest.raises(InspectError, match="no samples"):
        reconstructions(model, _data(0), "reconstruction")
    narrow = build(parse_network({"input": {"shape": SHAPE}, "layers": [
        {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 2}]}))
    with pytest.raises(InspectError, match="not shaped like its input"):
        reconstructions(narrow, _data(4), "reconstruction")
