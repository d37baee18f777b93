"""Inspection views against independent oracles: plain forward hooks, hand-computed
attention, the linear model's closed form, scikit-learn's PCA."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from app.inspect import (
    InspectError,
    activations,
    attention,
    boundary,
    confusion,
    decode,
    embedding,
    filters,
    parameter_histograms,
    predict,
    saliency,
)
from app.inspect.histograms import BINS, histogram
from app.nn import build, trace
from app.nn.graph_module import GraphNet
from app.spec import NetworkSpec, parse_network


def _net(layers: list[dict[str, Any]], shape: list[int], seed: int = 0, **inp: Any) -> GraphNet:
    torch.manual_seed(seed)
    return build(parse_network({"input": {"shape": shape, **inp}, "layers": layers}))


def test_activations_equal_plain_forward_hooks(presets: dict[str, NetworkSpec]) -> None:
    torch.manual_seed(0)
    model = build(presets["residual-cnn"]).eval()
    x = torch.rand(*presets["residual-cnn"].input.shape)
    captured: dict[str, torch.Tensor] = {}
    for node in model.nodes:
        model.layer(node.layer_id).register_forward_hook(
            lambda _m, _i, out, key=node.layer_id: captured.__setitem__(key, out.detach()))
    with torch.no_grad():
        model(x[None])
    answer = activations(model, x, max_channels=256)
    assert [a.id for a in answer.layers] == [n.layer_id for n in model.nodes]
    for layer in answer.layers:
        expected = captured[layer.id][0]
        got = decode(layer.values)
        assert layer.shape == list(expected.shape) and layer.cut is None
        assert torch.allclose(got, expected, rtol=1e-3, atol=1e-3), layer.id
        assert layer.min == pytest.approx(expected.min().item())
        assert layer.max == pytest.approx(expected.max().item())


def test_activations_are_cut_and_say_so() -> None:
    model = _net([{"id": "conv", "type": "conv2d", "filters": 8, "kernel_size": 3},
                  {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 3}],
                 [1, 6, 6])
    answer = activations(model, torch.rand(1, 6, 6), layers=["conv"], max_channels=2)
    (conv,) = answer.layers
    assert conv.kind == "maps" and conv.shape == [8, 4, 4]
    assert decode(conv.values).shape == (2, 4, 4) and conv.cut == "channels 0 to 1 of 8"
    with pytest.raises(InspectError, match="no layer 'nope'"):
        activations(model, torch.rand(1, 6, 6), layers=["nope"])
    with pytest.raises(InspectError, match="shape"):
        activations(model, torch.rand(1, 5, 5))


def test_attention_reproduces_the_worked_example() -> None:
    # One head, d_k = 64: a query scoring two keys 112 and 96 weighs them
    # softmax(112/8, 96/8) = (0.88, 0.12).
    model = _net([{"id": "att", "type": "multihead_attention", "num_heads": 1}], [2, 64])
    mha = model.layer("att").mha
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.eye(64).repeat(3, 1))
        mha.in_proj_bias.zero_()
    x = torch.zeros(2, 64)
    x[0, 0] = math.sqrt(112)  # x0 . x0 = 112
    x[1, 0] = 96 / math.sqrt(112)  # x0 . x1 = 96
    (layer,) = attention(model, x).layers
    weights = decode(layer.weights)
    assert (layer.heads, layer.queries, layer.keys) == (1, 2, 2)
    assert weights[0, 0].tolist() == pytest.approx([0.88, 0.12], abs=0.005)
    expected = torch.softmax(torch.tensor([112.0, 96.0]) / 8, dim=0)
    assert weights[0, 0].tolist() == pytest.approx(expected.tolist(), abs=1e-3)
    assert torch.allclose(weights.sum(dim=-1), torch.ones(1, 2), atol=1e-3)
    assert mha is model.layer("att").mha and model.layer("att").keep_weights is False


def test_attention_maps_of_a_transformer_with_token_labels() -> None:
    model = _net([{"id": "emb", "type": "embedding", "dim": 16},
                  {"id": "block", "type": "transformer_encoder_block", "num_heads": 4,
                   "ff_dim": 32},
                  {"id": "out", "type": "dense", "units": 5}], [6], dtype="token",
                 vocab_size=5)
    answer = attention(model, torch.tensor([0, 1, 2, 3, 4, 1]), vocabulary=list("abcde"))
    (layer,) = answer.layers
    weights = decode(layer.weights)
    assert weights.shape == (4, 6, 6) and answer.tokens == list("abcdeb")
    assert torch.allclose(weights.sum(dim=-1), torch.ones(4, 6), atol=2e-3)
    with pytest.raises(InspectError, match="no multihead_attention"):
        attention(_net([{"id": "d", "type": "dense", "units": 2}], [3]), torch.rand(3))


def test_saliency_of_a_linear_model_is_its_weights_times_the_input() -> None:
    model = _net([{"id": "out", "type": "dense", "units": 3}], [5])
    x = torch.randn(5)
    weight = model.layer("out").weight.detach()
    answer = saliency(model, x, "classes", target=2, steps=16)
    assert answer.target == 2
    assert torch.allclose(decode(answer.gradient_x_input), weight[2] * x, atol=2e-3)
    assert torch.allclose(decode(answer.integrated_gradients), weight[2] * x, atol=2e-3)
    predicted = saliency(model, x, "classes")
    logits = model(x[None])[0]
    assert predicted.target == int(logits.argmax())
    with pytest.raises(InspectError, match="3 units"):
        saliency(model, x, "classes", target=3)


def test_confusion_counts_and_most_confident_mistakes() -> None:
    model = _net([{"id": "out", "type": "dense", "units": 3}], [3])
    with torch.no_grad():  # the output is the input: predicted class = argmax of x
        model.layer("out").weight.copy_(torch.eye(3))
        model.layer("out").bias.zero_()
    x = torch.tensor([[5.0, 0, 0], [0, 5, 0], [0, 0, 5], [9, 0, 0], [0, 1, 0]])
    y = torch.tensor([0, 1, 2, 1, 0])
    answer = confusion(model, x, y, "classes", 3, ["a", "b", "c"], top_wrong=1)
    assert answer.matrix == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert answer.accuracy == pytest.approx(3 / 5)
    assert answer.per_class_accuracy == [0.5, 0.5, 1.0]
    (worst,) = answer.wrong  # [9, 0, 0] labelled 1 is the most confident mistake
    assert (worst.index, worst.label, worst.predicted) == (3, 1, 0)
    assert worst.confidence > 0.99


def test_predict_answers_per_output_kind() -> None:
    model = _net([{"id": "out", "type": "dense", "units": 1}], [2])
    binary = predict(model, torch.tensor([0.3, -0.2]), "binary", ["no", "yes"])
    assert binary.probabilities is not None and sum(binary.probabilities) == pytest.approx(1)
    value = predict(model, torch.tensor([0.3, -0.2]), "value")
    logit = model(torch.tensor([[0.3, -0.2]]))[0, 0].item()
    assert value.value == pytest.approx([logit], abs=1e-6)
    assert binary.probabilities[1] == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-6)


def test_boundary_grid_matches_the_model_point_by_point() -> None:
    # A fixed linear classifier: class 1 where x > y.
    model = _net([{"id": "out", "type": "dense", "units": 2}], [2])
    with torch.no_grad():
        model.layer("out").weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        model.layer("out").bias.zero_()
    points = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [1.0, -1.0]])
    grid = boundary(model, points, torch.tensor([0, 0, 1]), "classes", resolution=21)
    predicted = decode(grid.predicted)
    assert predicted.shape == (21, 21)
    xs = torch.linspace(*grid.x_range, 21)
    ys = torch.linspace(*grid.y_range, 21)
    for row, col in [(0, 20), (20, 0), (3, 17), (17, 3)]:
        assert predicted[row, col] == int(xs[col] > ys[row])
    assert decode(grid.points).shape == (3, 2)
    with pytest.raises(InspectError, match="resolution"):
        boundary(model, points, torch.tensor([0, 0, 1]), "classes", resolution=201)


def test_embedding_is_the_pca_of_the_layer() -> None:
    model = _net([{"id": "hidden", "type": "dense", "units": 6, "activation": "tanh"},
                  {"id": "out", "type": "dense", "units": 2}], [4])
    x = torch.randn(300, 4)
    answer = embedding(model, "hidden", x, torch.arange(300) % 2)
    with torch.no_grad():
        features = model.layer("hidden")(x).numpy()
    pca = PCA(n_components=2).fit(features)
    expected = torch.from_numpy(pca.transform(features)).float()
    got = decode(answer.points)
    for component in range(2):  # a component's sign is arbitrary
        same = torch.allclose(got[:, component], expected[:, component], atol=2e-2)
        flipped = torch.allclose(got[:, component], -expected[:, component], atol=2e-2)
        assert same or flipped
    assert answer.explained == pytest.approx(pca.explained_variance_ratio_.tolist(), abs=1e-4)


def test_filters_of_an_rgb_first_layer_come_with_a_colour_grid() -> None:
    model = _net([{"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3},
                  {"id": "conv2", "type": "conv2d", "filters": 2, "kernel_size": 3},
                  {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 2}],
                 [3, 8, 8])
    first, second = filters(model).layers
    assert first.rgb and first.png and first.shape == [4, 3, 3, 3]
    assert torch.allclose(decode(first.values), model.layer("conv").weight, atol=1e-3)
    assert not second.rgb and second.png is None and second.shape == [2, 4, 3, 3]
    assert filters(model, max_filters=1).layers[0].cut == "first 1 of 4 filters"


def test_histograms_cover_every_parameter_and_gradient() -> None:
    model = _net([{"id": "hidden", "type": "dense", "units": 4, "activation": "relu"},
                  {"id": "out", "type": "dense", "units": 2}], [3])
    model(torch.randn(8, 3)).sum().backward()
    answer = parameter_histograms(model, epoch=2, step=40)
    assert [(e.layer, e.parameter) for e in answer.parameters] == [
        ("hidden", "weight"), ("hidden", "bias"), ("out", "weight"), ("out", "bias")]
    params = dict(model.named_parameters())
    for entry in answer.parameters:
        param = next(p for name, p in params.items()
                     if name.startswith(entry.layer) and name.endswith(entry.parameter))
        assert sum(entry.weights.counts) == param.numel()
        assert entry.weights.low == pytest.approx(param.min().item())
        assert entry.gradients is not None and sum(entry.gradients.counts) == param.numel()


def test_a_histogram_counts_as_numpy_does_leaving_out_what_is_not_finite() -> None:
    values = torch.randn(10_000, generator=torch.Generator().manual_seed(0))
    spoilt = torch.cat([values, torch.tensor([float("nan"), float("inf"), -float("inf")])])
    drawn = histogram(spoilt)
    counts, edges = np.histogram(values.numpy(), bins=BINS)
    assert drawn.counts == counts.tolist()
    assert (drawn.low, drawn.high) == pytest.approx((edges[0], edges[-1]))
    assert (drawn.mean, drawn.std) == pytest.approx((values.mean().item(),
                                                     values.std(correction=0).item()), abs=1e-5)
    flat = histogram(torch.full((5,), 0.25))  # one value: all in the first bin
    assert flat.counts == [5] + [0] * (BINS - 1) and flat.low == flat.high == 0.25
    nothing = histogram(torch.tensor([float("nan")]))
    assert sum(nothing.counts) == 0 and nothing.low == nothing.high == 0.0


def test_views_leave_the_model_as_they_found_it() -> None:
    model = _net([{"id": "hidden", "type": "dense", "units": 4},
                  {"id": "drop", "type": "dropout", "rate": 0.5},
                  {"id": "out", "type": "dense", "units": 2}], [3])
    model.train()
    activations(model, torch.randn(3))
    saliency(model, torch.randn(3), "classes")
    assert model.training
    assert all(not m._forward_hooks for m in model.modules() if isinstance(m, nn.Module))
    assert all(p.grad is None for p in model.parameters())


def _random_input(spec: NetworkSpec) -> torch.Tensor:
    if spec.input.dtype == "token":
        return torch.randint(0, spec.input.vocab_size or 2, tuple(spec.input.shape))
    return torch.rand(*spec.input.shape)


def test_every_preset_can_be_looked_inside(presets: dict[str, NetworkSpec]) -> None:
    """Every preset this server can train (VGG-16 and AlexNet are counted, not built,
    under the default limits)."""
    for name, spec in presets.items():
        if trace(spec, enforce=False).summary.over_limits:
            continue
        torch.manual_seed(0)
        model = build(spec)
        x = _random_input(spec)
        answer = activations(model, x, max_channels=4)
        assert len(answer.layers) == len(spec.layers), name
        for layer in answer.layers:
            assert layer.min <= layer.max and decode(layer.values).numel() > 0, (name, layer.id)
        convolutions = filters(model).layers
        assert bool(convolutions) == any("conv" in layer.type for layer in spec.layers), name
        if any(layer.type in ("multihead_attention", "transformer_encoder_block")
               for layer in spec.layers):
            maps = attention(model, x).layers
            assert maps and all(decode(m.weights).shape[0] == m.heads for m in maps), name


def test_mistakes_and_saliency_carry_their_inputs() -> None:
    model = _net([{"id": "out", "type": "dense", "units": 2}], [2])
    with torch.no_grad():
        model.layer("out").weight.copy_(torch.eye(2))
        model.layer("out").bias.zero_()
    x = torch.tensor([[3.0, 0.0], [0.0, 3.0]])
    answer = confusion(model, x, torch.tensor([1, 1]), "classes", 2)
    (wrong,) = answer.wrong
    assert wrong.input is not None and decode(wrong.input).tolist() == [3.0, 0.0]
    explained = saliency(model, torch.tensor([0.5, 0.25]), "classes")
    assert decode(explained.input).tolist() == [0.5, 0.25]


def test_token_inputs_must_be_ids_in_the_vocabulary() -> None:
    model = _net([{"id": "emb", "type": "embedding", "dim": 4},
                  {"id": "pool", "type": "sequence_pool", "mode": "mean"},
                  {"id": "out", "type": "dense", "units": 2}], [3], dtype="token", vocab_size=5)
    assert predict(model, torch.tensor([0, 4, 2]), "classes").probabilities is not None
    with pytest.raises(InspectError, match="0 to 4"):
        predict(model, torch.tensor([0, 5, 2]), "classes")
    with pytest.raises(InspectError, match="whole numbers"):
        predict(model, torch.tensor([0.5, 1.0, 2.0]), "classes")
