"""Every layer type: the spec catalog and the builders agree, and the meta-device
analysis predicts exactly what the real module does on CPU."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import torch
from torch import nn

from app.nn import BUILDERS, analyze, build
from app.spec import LAYER_TYPES, NetworkSpec, parse_network
from app.spec.base import Category

BATCH = 3


@pytest.fixture(scope="module", autouse=True)
def _warm_up_torch() -> None:
    """The first FLOP-counted meta run costs about a second (torch's lazy set-up); pay it
    once here so that no single test carries it."""
    analyze(parse_network({"input": {"shape": [1, 4, 4]},
                           "layers": [{"id": "conv", "type": "conv2d", "filters": 1}]}))


def _net(input_spec: dict[str, Any], *layers: dict[str, Any]) -> dict[str, Any]:
    return {"input": input_spec, "layers": list(layers)}


def _float(*shape: int) -> dict[str, Any]:
    return {"shape": list(shape)}


def _tokens(length: int, vocab: int = 20) -> dict[str, Any]:
    return {"shape": [length], "dtype": "token", "vocab_size": vocab}


# Case name -> a small network that exercises the layer type named before any '['.
EXAMPLES: dict[str, dict[str, Any]] = {
    # core
    "dense": _net(_float(8), {"id": "fc", "type": "dense", "units": 4, "activation": "relu"}),
    "dense[per-position]": _net(
        _float(5, 8), {"id": "fc", "type": "dense", "units": 3, "use_bias": False}
    ),
    "activation[softmax-axis0]": _net(
        _float(4, 6), {"id": "act", "type": "activation", "activation": "softmax", "axis": 0}
    ),
    "activation[leaky_relu]": _net(
        _float(6),
        {"id": "act", "type": "activation", "activation": "leaky_relu", "negative_slope": 0.2},
    ),
    "activation[linear]": _net(
        _float(6), {"id": "act", "type": "activation", "activation": "linear"}
    ),
    "dropout": _net(_float(10), {"id": "drop", "type": "dropout", "rate": 0.3}),
    "flatten": _net(_float(2, 3, 4), {"id": "flat", "type": "flatten"}),
    "reshape": _net(_float(12), {"id": "shape", "type": "reshape", "shape": [3, -1]}),
    "slice[tokens]": _net(_tokens(10), {"id": "cut", "type": "slice", "start": 2, "stop": 7}),
    "slice[features-axis1]": _net(
        _float(5, 8), {"id": "cut", "type": "slice", "start": 4, "axis": 1}
    ),
    "permute": _net(
        _float(3, 4, 5), {"id": "perm", "type": "permute", "dims": [2, 0, 1]}
    ),
    # convolution
    "conv1d": _net(
        _float(2, 16),
        {"id": "conv", "type": "conv1d", "filters": 4, "kernel_size": 3, "stride": 2,
         "padding": "same", "activation": "relu"},
    ),
    "conv2d[same]": _net(
        _float(3, 8, 8),
        {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
         "activation": "relu"},
    ),
    "conv2d[strided-rect]": _net(
        _float(3, 9, 8),
        {"id": "conv", "type": "conv2d", "filters": 5, "kernel_size": [3, 5],
         "stride": [2, 1], "padding": 1, "use_bias": False},
    ),
    "conv2d[same-stride2-dilated-groups]": _net(
        _float(4, 9, 9),
        {"id": "conv", "type": "conv2d", "filters": 6, "kernel_size": 3, "stride": 2,
         "padding": "same", "dilation": 2, "groups": 2},
    ),
    "conv_transpose2d": _net(
        _float(4, 5, 5),
        {"id": "up", "type": "conv_transpose2d", "filters": 2, "kernel_size": 3, "stride": 2,
         "output_padding": 1, "activation": "tanh"},
    ),
    "maxpool1d": _net(_float(2, 9), {"id": "pool", "type": "maxpool1d", "pool_size": 2}),
    "maxpool2d": _net(_float(3, 8, 8), {"id": "pool", "type": "maxpool2d"}),
    "maxpool2d[overlapping]": _net(
        _float(3, 7, 7),
        {"id": "pool", "type": "maxpool2d", "pool_size": 3, "stride": 2, "padding": 1},
    ),
    "avgpool2d": _net(_float(3, 7, 7), {"id": "pool", "type": "avgpool2d", "pool_size": 2}),
    "global_avgpool2d": _net(_float(3, 5, 4), {"id": "gap", "type": "global_avgpool2d"}),
    "global_maxpool2d": _net(_float(3, 5, 4), {"id": "gmp", "type": "global_maxpool2d"}),
    "upsample2d[nearest]": _net(_float(2, 3, 4), {"id": "up", "type": "upsample2d"}),
    "upsample2d[bilinear]": _net(
        _float(2, 3, 4), {"id": "up", "type": "upsample2d", "scale_factor": 3, "mode": "bilinear"}
    ),
    # normalization
    "batchnorm[features]": _net(_float(6), {"id": "bn", "type": "batchnorm"}),
    "batchnorm[channels-length]": _net(_float(4, 7), {"id": "bn", "type": "batchnorm"}),
    "batchnorm[image]": _net(
        _float(3, 5, 5), {"id": "bn", "type": "batchnorm", "momentum": 0.01, "eps": 1e-3}
    ),
    "layernorm": _net(_float(5, 8), {"id": "ln", "type": "layernorm"}),
    "layernorm[no-affine]": _net(
        _float(8), {"id": "ln", "type": "layernorm", "elementwise_affine": False}
    ),
    "local_response_norm": _net(
        _float(6, 4, 4), {"id": "lrn", "type": "local_response_norm", "size": 3}
    ),
    # sequence
    "embedding": _net(_tokens(7), {"id": "emb", "type": "embedding", "dim": 8}),
    "embedding[own-vocab]": _net(
        _tokens(7), {"id": "emb", "type": "embedding", "dim": 4, "vocab_size": 30}
    ),
    "rnn[final-state]": _net(_float(6, 4), {"id": "rnn", "type": "rnn", "hidden_size": 5}),
    "rnn[sequences]": _net(
        _float(6, 4),
        {"id": "rnn", "type": "rnn", "hidden_size": 5, "return_sequences": True},
    ),
    "lstm[bidirectional-sequences]": _net(
        _tokens(6),
        {"id": "emb", "type": "embedding", "dim": 4},
        {"id": "lstm", "type": "lstm", "hidden_size": 5, "bidirectional": True,
         "return_sequences": True},
    ),
    "lstm[bidirectional-stacked-final]": _net(
        _float(6, 4),
        {"id": "lstm", "type": "lstm", "hidden_size": 5, "num_layers": 2,
         "bidirectional": True, "dropout": 0.1},
    ),
    "gru[stacked-final]": _net(
        _float(6, 4),
        {"id": "gru", "type": "gru", "hidden_size": 7, "num_layers": 2, "dropout": 0.2},
    ),
    "gru[bidirectional-sequences]": _net(
        _float(6, 4),
        {"id": "gru", "type": "gru", "hidden_size": 3, "bidirectional": True,
         "return_sequences": True},
    ),
    "positional_encoding[sinusoidal]": _net(
        _tokens(6),
        {"id": "emb", "type": "embedding", "dim": 8},
        {"id": "pos", "type": "positional_encoding", "max_len": 16},
    ),
    "positional_encoding[learned-odd-width]": _net(
        _float(6, 5),
        {"id": "pos", "type": "positional_encoding", "kind": "learned", "max_len": 6},
    ),
    "multihead_attention[self-causal]": _net(
        _float(6, 8),
        {"id": "attn", "type": "multihead_attention", "num_heads": 2, "causal": True},
    ),
    "multihead_attention[cross]": _net(
        _float(6, 8),
        # the context: 8 steps of width 12; the queries: 6 steps of width 8
        {"id": "ctx_t", "type": "permute", "dims": [1, 0]},
        {"id": "ctx", "type": "dense", "units": 12},
        {"id": "query", "type": "dense", "units": 8, "inputs": ["input"]},
        {"id": "attn", "type": "multihead_attention", "num_heads": 4,
         "inputs": ["query", "ctx"]},
    ),
    "multihead_attention[cross-same-width]": _net(
        _float(6, 8),
        {"id": "ctx", "type": "dense", "units": 8},
        {"id": "attn", "type": "multihead_attention", "num_heads": 2, "causal": True,
         "inputs": ["input", "ctx"]},
    ),
    "transformer_encoder_block": _net(
        _float(6, 8),
        {"id": "block", "type": "transformer_encoder_block", "num_heads": 2, "ff_dim": 16},
    ),
    "transformer_encoder_block[causal-relu]": _net(
        _float(6, 8),
        {"id": "block", "type": "transformer_encoder_block", "num_heads": 4, "ff_dim": 12,
         "causal": True, "activation": "relu", "dropout": 0.0},
    ),
    "transformer_decoder_block": _net(
        _tokens(9),
        {"id": "embed", "type": "embedding", "dim": 8},
        {"id": "source", "type": "slice", "stop": 5},
        {"id": "encoder", "type": "transformer_encoder_block", "num_heads": 2, "ff_dim": 16},
        {"id": "target", "type": "slice", "start": 5, "inputs": ["embed"]},
        {"id": "decoder", "type": "transformer_decoder_block", "num_heads": 2, "ff_dim": 16,
         "inputs": ["target", "encoder"]},
    ),
    "transformer_decoder_block[other-memory-width-relu]": _net(
        _float(6, 8),
        {"id": "memory", "type": "dense", "units": 12},
        {"id": "decoder", "type": "transformer_decoder_block", "num_heads": 4, "ff_dim": 12,
         "activation": "relu", "dropout": 0.0, "inputs": ["input", "memory"]},
    ),
    "sequence_pool[mean]": _net(_float(6, 8), {"id": "pool", "type": "sequence_pool"}),
    "sequence_pool[last]": _net(
        _float(6, 8), {"id": "pool", "type": "sequence_pool", "mode": "last"}
    ),
    "sequence_pool[max]": _net(
        _float(6, 8), {"id": "pool", "type": "sequence_pool", "mode": "max"}
    ),
    # merge
    "add": _net(
        _float(8),
        {"id": "a", "type": "dense", "units": 4},
        {"id": "b", "type": "dense", "units": 4, "inputs": ["input"]},
        {"id": "sum", "type": "add", "inputs": ["a", "b"]},
    ),
    "add[three-way-residual]": _net(
        _float(2, 6, 6),
        {"id": "conv", "type": "conv2d", "filters": 2, "padding": "same"},
        {"id": "conv2", "type": "conv2d", "filters": 2, "padding": "same"},
        {"id": "sum", "type": "add", "inputs": ["conv2", "conv", "input"]},
    ),
    "multiply": _net(
        _float(8),
        {"id": "value", "type": "dense", "units": 4},
        {"id": "gate", "type": "dense", "units": 4, "activation": "sigmoid",
         "inputs": ["input"]},
        {"id": "gated", "type": "multiply", "inputs": ["value", "gate"]},
    ),
    "concat[channels]": _net(
        _float(3, 8, 8),
        {"id": "a", "type": "conv2d", "filters": 4, "kernel_size": 1},
        {"id": "b", "type": "conv2d", "filters": 2, "padding": "same", "inputs": ["input"]},
        {"id": "join", "type": "concat", "inputs": ["a", "b"]},
    ),
    "concat[last-axis]": _net(
        _float(5, 8),
        {"id": "a", "type": "dense", "units": 3},
        {"id": "b", "type": "dense", "units": 2, "inputs": ["input"]},
        {"id": "join", "type": "concat", "axis": -1, "inputs": ["a", "b", "input"]},
    ),
    # generative
    "sampling": _net(
        _float(8),
        {"id": "mean", "type": "dense", "units": 2},
        {"id": "log_var", "type": "dense", "units": 2, "inputs": ["input"]},
        {"id": "z", "type": "sampling", "inputs": ["mean", "log_var"]},
    ),
}


def _type_of(case: str) -> str:
    return case.split("[", 1)[0]


def _sample(spec: NetworkSpec) -> torch.Tensor:
    shape = (BATCH, *spec.input.shape)
    if spec.input.dtype == "token":
        assert spec.input.vocab_size is not None
        return torch.randint(0, spec.input.vocab_size, shape)
    return torch.randn(shape)


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- the catalog ---------------------------------------------------------------------


def test_spec_catalog_and_builders_list_the_same_types() -> None:
    assert set(LAYER_TYPES) == set(BUILDERS)
    assert len(LAYER_TYPES) == len(BUILDERS)


def test_examples_cover_every_layer_type() -> None:
    assert {_type_of(case) for case in EXAMPLES} == set(LAYER_TYPES)
    for case, data in EXAMPLES.items():
        assert _type_of(case) in {layer["type"] for layer in data["layers"]}, case


@pytest.mark.parametrize("kind", sorted(LAYER_TYPES))
def test_schema_describes_every_property(kind: str) -> None:
    cls = LAYER_TYPES[kind]
    schema = cls.model_json_schema()
    undescribed = [
        name for name, prop in schema["properties"].items()
        if name != "type" and not prop.get("description")
    ]
    assert undescribed == [], f"{kind}: no description for {undescribed}"
    assert schema.get("description"), f"{kind}: the class has no docstring"
    assert cls.category in get_args(Category)
    assert cls.category in {"core", "convolution", "normalization", "sequence", "merge",
                            "generative"}


# -- analysis matches the real module ------------------------------------------------


@pytest.mark.parametrize("case", list(EXAMPLES))
def test_analysis_matches_a_real_forward(case: str) -> None:
    spec = parse_network(EXAMPLES[case])
    summary = analyze(spec)
    net = build(spec).eval()

    seen: dict[str, tuple[int, ...]] = {}
    for layer in spec.layers:
        def record(_m: nn.Module, _args: Any, out: torch.Tensor, layer_id: str = layer.id) -> None:
            seen[layer_id] = tuple(out.shape[1:])

        net.layer(layer.id).register_forward_hook(record)
    with torch.no_grad():
        out = net(_sample(spec))

    assert [s.id for s in summary.layers] == [layer.id for layer in spec.layers]
    for layer_summary in summary.layers:
        assert layer_summary.type == spec.layer(layer_summary.id).type
        assert seen[layer_summary.id] == layer_summary.output_shape, layer_summary.id
        assert _n_params(net.layer(layer_summary.id)) == layer_summary.params, layer_summary.id
        assert layer_summary.trainable_params == layer_summary.params
    assert out.shape[0] == BATCH
    assert tuple(out.shape[1:]) == summary.output_shape
    assert summary.input_shape == tuple(spec.input.shape)
    assert summary.total_params == _n_params(net) == sum(s.params for s in summary.layers)
    assert summary.trainable_params == summary.total_params
    assert summary.total_flops == sum(s.flops for s in summary.layers)
    assert summary.warnings == []
    assert torch.isfinite(out.float()).all()


def test_input_shapes_follow_the_graph() -> None:
    spec = parse_network(EXAMPLES["multihead_attention[cross]"])
    by_id = {s.id: s for s in analyze(spec).layers}
    assert by_id["ctx_t"].input_shapes == [(6, 8)]
    assert by_id["ctx"].output_shape == (8, 12)
    assert by_id["attn"].input_shapes == [(6, 8), (8, 12)]
    assert by_id["attn"].output_shape == (6, 8)


@pytest.mark.parametrize(
    ("case", "layer_id", "expected"),
    [
        ("conv2d[strided-rect]", "conv", (5, 5, 6)),
        ("conv2d[same-stride2-dilated-groups]", "conv", (6, 5, 5)),
        ("conv1d", "conv", (4, 8)),
        ("conv_transpose2d", "up", (2, 12, 12)),
        ("maxpool2d[overlapping]", "pool", (3, 4, 4)),
        ("upsample2d[bilinear]", "up", (2, 9, 12)),
        ("lstm[bidirectional-sequences]", "lstm", (6, 10)),
        ("lstm[bidirectional-stacked-final]", "lstm", (10,)),
        ("gru[stacked-final]", "gru", (7,)),
        ("rnn[final-state]", "rnn", (5,)),
        ("concat[channels]", "join", (6, 8, 8)),
        ("concat[last-axis]", "join", (5, 13)),
        ("permute", "perm", (5, 3, 4)),
        ("embedding", "emb", (7, 8)),
    ],
)
def test_known_output_shapes(case: str, layer_id: str, expected: tuple[int, ...]) -> None:
    summary = analyze(parse_network(EXAMPLES[case]))
    assert {s.id: s.output_shape for s in summary.layers}[layer_id] == expected


# -- trainable and FLOPs -------------------------------------------------------------


def test_trainable_false_freezes_the_layer() -> None:
    spec = parse_network(_net(
        _float(3, 8, 8),
        {"id": "conv", "type": "conv2d", "filters": 4, "trainable": False},
        {"id": "bn", "type": "batchnorm", "trainable": False},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 2},
    ))
    summary = analyze(spec)
    by_id = {s.id: s for s in summary.layers}
    net = build(spec)

    for frozen in ("conv", "bn"):
        assert by_id[frozen].params > 0
        assert by_id[frozen].trainable_params == 0
        assert all(not p.requires_grad for p in net.layer(frozen).parameters())
    assert by_id["out"].trainable_params == by_id["out"].params == 4 * 6 * 6 * 2 + 2
    assert all(p.requires_grad for p in net.layer("out").parameters())
    assert summary.trainable_params == by_id["out"].params
    assert summary.total_params == sum(s.params for s in summary.layers)
    assert summary.trainable_params == sum(p.numel() for p in net.parameters() if p.requires_grad)


def test_frozen_and_trainable_copies_of_one_layer_are_counted_apart() -> None:
    # The measurement cache is keyed by recipe and input; trainable must not leak through it.
    layer = {"id": "fc", "type": "dense", "units": 3}
    frozen = analyze(parse_network(_net(_float(5), {**layer, "trainable": False})))
    trainable = analyze(parse_network(_net(_float(5), layer)))
    assert frozen.layers[0].trainable_params == 0
    assert trainable.layers[0].trainable_params == 18


def test_dense_flops_per_sample() -> None:
    summary = analyze(parse_network(_net(_float(784), {"id": "fc", "type": "dense", "units": 10})))
    assert summary.layers[0].flops == 2 * 784 * 10
    assert summary.total_flops == 2 * 784 * 10
    assert summary.layers[0].params == 784 * 10 + 10


def test_conv_flops_per_sample() -> None:
    summary = analyze(parse_network(_net(
        _float(3, 8, 8),
        {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
         "use_bias": False},
    )))
    assert summary.layers[0].flops == 2 * (3 * 3 * 3) * 4 * 8 * 8


def test_shape_only_layers_have_no_params_or_flops() -> None:
    summary = analyze(parse_network(EXAMPLES["flatten"]))
    assert summary.layers[0].params == 0
    assert summary.layers[0].flops == 0
