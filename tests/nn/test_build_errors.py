"""Build-time problems: each names the layer (and field) and says what to change."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from app.nn import analyze, build
from app.spec import SpecError, SpecIssue, SpecLimits, parse_network


@pytest.fixture(scope="module", autouse=True)
def _warm_up_torch() -> None:
    """The first FLOP-counted meta run costs about a second (torch's lazy set-up); pay it
    once here so that no single test carries it."""
    analyze(parse_network({"input": {"shape": [1, 4, 4]},
                           "layers": [{"id": "conv", "type": "conv2d", "filters": 1}]}))


def _net(shape: list[int], *layers: dict[str, Any], **input_extra: Any) -> dict[str, Any]:
    return {"input": {"shape": shape, **input_extra}, "layers": list(layers)}


def _build_issue(data: dict[str, Any], limits: SpecLimits | None = None) -> SpecIssue:
    """The single issue that analyzing (and building) a parsable spec raises."""
    spec = parse_network(data)
    with pytest.raises(SpecError) as info:
        analyze(spec, limits)
    assert len(info.value.issues) == 1, info.value.issues
    with pytest.raises(SpecError) as again:
        build(spec, limits)
    assert again.value.issues == info.value.issues
    return info.value.issues[0]


# -- shapes --------------------------------------------------------------------------


def test_conv_kernel_larger_than_its_input() -> None:
    issue = _build_issue(_net(
        [1, 3, 3], {"id": "conv1", "type": "conv2d", "filters": 4, "kernel_size": 5},
    ))
    assert (issue.layer_id, issue.field) == ("conv1", "kernel_size")
    assert "5x5" in issue.message
    assert "3x3" in issue.message
    assert "padding 'same'" in issue.message


def test_dilated_kernel_span_is_checked() -> None:
    issue = _build_issue(_net(
        [1, 6, 6],
        {"id": "conv1", "type": "conv2d", "filters": 4, "kernel_size": 3, "dilation": 3},
    ))
    assert issue.layer_id == "conv1"
    assert "7x7" in issue.message
    assert "6x6" in issue.message


def test_pool_window_larger_than_its_input() -> None:
    issue = _build_issue(_net(
        [2, 8, 8],
        {"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": 5},
        {"id": "pool", "type": "maxpool2d", "pool_size": 5},
    ))
    assert (issue.layer_id, issue.field) == ("pool", "pool_size")
    assert "5x5" in issue.message
    assert "4x4" in issue.message


def test_conv_padding_same_keeps_small_inputs_valid() -> None:
    spec = parse_network(_net(
        [1, 3, 3],
        {"id": "conv1", "type": "conv2d", "filters": 4, "kernel_size": 5, "padding": "same"},
    ))
    assert analyze(spec).output_shape == (4, 3, 3)


def test_dense_after_an_image_asks_for_flatten() -> None:
    issue = _build_issue(_net(
        [1, 28, 28],
        {"id": "conv", "type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same"},
        {"id": "pool", "type": "maxpool2d", "pool_size": 4},
        {"id": "classifier", "type": "dense", "units": 10},
    ))
    assert issue.layer_id == "classifier"
    assert "add a flatten layer" in issue.message
    assert "(32, 7, 7)" in issue.message


def test_add_of_mismatched_shapes_names_both() -> None:
    issue = _build_issue(_net(
        [8],
        {"id": "left", "type": "dense", "units": 4},
        {"id": "right", "type": "dense", "units": 5, "inputs": ["input"]},
        {"id": "sum", "type": "add", "inputs": ["left", "right"]},
    ))
    assert (issue.layer_id, issue.field) == ("sum", "inputs")
    assert "'left' (4,)" in issue.message
    assert "'right' (5,)" in issue.message


def test_multiply_of_mismatched_shapes() -> None:
    issue = _build_issue(_net(
        [3, 8, 8],
        {"id": "a", "type": "conv2d", "filters": 4, "padding": "same"},
        {"id": "b", "type": "conv2d", "filters": 8, "padding": "same", "inputs": ["input"]},
        {"id": "gate", "type": "multiply", "inputs": ["a", "b"]},
    ))
    assert (issue.layer_id, issue.field) == ("gate", "inputs")
    assert "(4, 8, 8)" in issue.message
    assert "(8, 8, 8)" in issue.message


def test_concat_mismatch() -> None:
    issue = _build_issue(_net(
        [3, 8, 8],
        {"id": "same", "type": "conv2d", "filters": 4, "padding": "same"},
        {"id": "valid", "type": "conv2d", "filters": 4, "inputs": ["input"]},
        {"id": "join", "type": "concat", "inputs": ["same", "valid"]},
    ))
    assert (issue.layer_id, issue.field) == ("join", "inputs")
    assert "'same' (4, 8, 8)" in issue.message
    assert "'valid' (4, 6, 6)" in issue.message
    assert "axis 0" in issue.message


def test_concat_of_different_ranks() -> None:
    issue = _build_issue(_net(
        [3, 4, 4],
        {"id": "flat", "type": "flatten"},
        {"id": "join", "type": "concat", "inputs": ["input", "flat"]},
    ))
    assert (issue.layer_id, issue.field) == ("join", "inputs")
    assert "(48,)" in issue.message


def test_concat_axis_out_of_range() -> None:
    issue = _build_issue(_net(
        [8],
        {"id": "a", "type": "dense", "units": 4},
        {"id": "join", "type": "concat", "axis": 1, "inputs": ["a", "input"]},
    ))
    assert (issue.layer_id, issue.field) == ("join", "axis")


def test_embedding_on_float_input() -> None:
    issue = _build_issue(_net([16], {"id": "emb", "type": "embedding", "dim": 8}))
    assert issue.layer_id == "emb"
    assert "vocab_size" in issue.message
    assert "token" in issue.message


def test_embedding_vocab_smaller_than_input_vocab() -> None:
    issue = _build_issue(_net(
        [16], {"id": "emb", "type": "embedding", "dim": 8, "vocab_size": 10},
        dtype="token", vocab_size=50,
    ))
    assert (issue.layer_id, issue.field) == ("emb", "vocab_size")
    assert "50" in issue.message


def test_float_layer_on_token_input_asks_for_embedding() -> None:
    issue = _build_issue(_net([16], {"id": "fc", "type": "dense", "units": 4},
                              dtype="token", vocab_size=50))
    assert issue.layer_id == "fc"
    assert "embedding" in issue.message


@pytest.mark.parametrize("kind", ["multihead_attention", "transformer_encoder_block"])
def test_attention_heads_must_divide_the_width(kind: str) -> None:
    issue = _build_issue(_net([6, 10], {"id": "attn", "type": kind, "num_heads": 4}))
    assert (issue.layer_id, issue.field) == ("attn", "num_heads")
    assert "num_heads 4" in issue.message
    assert "10" in issue.message


def test_cross_attention_context_must_be_a_sequence() -> None:
    issue = _build_issue(_net(
        [6, 8],
        {"id": "pooled", "type": "sequence_pool"},
        {"id": "attn", "type": "multihead_attention", "num_heads": 2,
         "inputs": ["input", "pooled"]},
    ))
    assert (issue.layer_id, issue.field) == ("attn", "inputs")
    assert "'pooled'" in issue.message
    assert "(8,)" in issue.message


def test_recurrent_on_flat_input() -> None:
    issue = _build_issue(_net([16], {"id": "lstm", "type": "lstm"}))
    assert issue.layer_id == "lstm"
    assert "(time, features)" in issue.message
    assert "(16,)" in issue.message


def test_positional_encoding_longer_than_max_len() -> None:
    issue = _build_issue(_net(
        [20, 8], {"id": "pos", "type": "positional_encoding", "max_len": 10},
    ))
    assert (issue.layer_id, issue.field) == ("pos", "max_len")
    assert "20" in issue.message


def test_permute_dims_of_the_wrong_length() -> None:
    issue = _build_issue(_net([3, 4, 5], {"id": "perm", "type": "permute", "dims": [1, 0]}))
    assert (issue.layer_id, issue.field) == ("perm", "dims")
    assert "(3, 4, 5)" in issue.message
    assert "3 axes" in issue.message


@pytest.mark.parametrize("target", [[5, 3], [5, -1], [7, 2]])
def test_reshape_with_the_wrong_element_count(target: list[int]) -> None:
    issue = _build_issue(_net([12], {"id": "shape", "type": "reshape", "shape": target}))
    assert (issue.layer_id, issue.field) == ("shape", "shape")
    assert "(12,)" in issue.message
    assert "12 values" in issue.message


def test_conv2d_on_flat_input_suggests_reshape() -> None:
    issue = _build_issue(_net([784], {"id": "conv", "type": "conv2d", "filters": 8}))
    assert issue.layer_id == "conv"
    assert "(784,)" in issue.message
    assert "reshape" in issue.message
    assert "(channels, height, width)" in issue.message


def test_conv1d_on_image_input() -> None:
    issue = _build_issue(_net([1, 8, 8], {"id": "conv", "type": "conv1d", "filters": 8}))
    assert issue.layer_id == "conv"
    assert "(channels, length)" in issue.message


def test_padding_same_with_stride_needs_an_odd_kernel() -> None:
    issue = _build_issue(_net(
        [3, 8, 8],
        {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 4, "stride": 2,
         "padding": "same"},
    ))
    assert (issue.layer_id, issue.field) == ("conv", "padding")
    assert "odd kernel" in issue.message


def test_padding_same_with_stride_and_odd_kernel_is_ceil() -> None:
    spec = parse_network(_net(
        [3, 9, 9],
        {"id": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "stride": 2,
         "padding": "same"},
    ))
    assert analyze(spec).output_shape == (4, 5, 5)


def test_conv_groups_must_divide_channels() -> None:
    issue = _build_issue(_net(
        [3, 8, 8], {"id": "conv", "type": "conv2d", "filters": 4, "groups": 2},
    ))
    assert (issue.layer_id, issue.field) == ("conv", "groups")


def test_output_padding_must_be_below_stride() -> None:
    issue = _build_issue(_net(
        [3, 4, 4],
        {"id": "up", "type": "conv_transpose2d", "filters": 2, "stride": 2,
         "output_padding": 2},
    ))
    assert (issue.layer_id, issue.field) == ("up", "output_padding")


def test_softmax_axis_out_of_range() -> None:
    issue = _build_issue(_net(
        [8], {"id": "act", "type": "activation", "activation": "softmax", "axis": 1},
    ))
    assert (issue.layer_id, issue.field) == ("act", "axis")
    assert "(8,)" in issue.message


# -- limits --------------------------------------------------------------------------


def test_params_over_the_limit_name_the_layer() -> None:
    data = _net(
        [10],
        {"id": "small", "type": "dense", "units": 20},  # 220 parameters
        {"id": "big", "type": "dense", "units": 100},  # 2,100 more
        {"id": "out", "type": "dense", "units": 1},
    )
    issue = _build_issue(data, SpecLimits(max_params=1000))
    assert issue.layer_id == "big"
    assert "2,320" in issue.message
    assert "1,000" in issue.message
    assert "fewer units" in issue.message
    analyze(parse_network(data), SpecLimits(max_params=2421))


def test_activation_memory_over_the_limit() -> None:
    data = _net(
        [3, 32, 32],
        {"id": "conv", "type": "conv2d", "filters": 8, "padding": "same"},
        {"id": "gap", "type": "global_avgpool2d"},
    )
    issue = _build_issue(data, SpecLimits(max_activation_mb=0.001))
    assert issue.layer_id == "conv"  # where the estimate crosses the limit
    assert "activations" in issue.message
    assert "MiB" in issue.message
    summary = analyze(parse_network(data))
    # input 3*32*32 + conv 8*32*32 + pool 8 float32 values
    assert summary.activation_mb == round((3 * 1024 + 8 * 1024 + 8) * 4 / 2**20, 3)


def test_activation_memory_message_shows_a_fractional_limit() -> None:
    data = _net([3, 32, 32], {"id": "conv", "type": "conv2d", "filters": 8, "padding": "same"})
    issue = _build_issue(data, SpecLimits(max_activation_mb=0.001))
    assert "limit of 0 MiB" not in issue.message
    assert "0.001" in issue.message


# -- warnings and working graphs -----------------------------------------------------


def test_unused_branch_warns() -> None:
    spec = parse_network(_net(
        [4],
        {"id": "hidden", "type": "dense", "units": 3},
        {"id": "forgotten", "type": "dense", "units": 2, "inputs": ["input"]},
        {"id": "out", "type": "dense", "units": 1, "inputs": ["hidden"]},
    ))
    summary = analyze(spec)
    assert len(summary.warnings) == 1
    assert "forgotten" in summary.warnings[0]
    assert "'out'" in summary.warnings[0]
    assert summary.output_shape == (1,)
    net = build(spec)
    assert net(torch.randn(2, 4)).shape == (2, 1)


RESIDUAL = _net(
    [3, 8, 8],
    {"id": "stem", "type": "conv2d", "filters": 8, "padding": "same", "use_bias": False},
    {"id": "stem_bn", "type": "batchnorm"},
    {"id": "stem_relu", "type": "activation"},
    {"id": "a_conv", "type": "conv2d", "filters": 8, "padding": "same"},
    {"id": "a_relu", "type": "activation"},
    {"id": "b_conv", "type": "conv2d", "filters": 8, "padding": "same"},
    {"id": "res", "type": "add", "inputs": ["b_conv", "stem_relu"]},
    {"id": "down", "type": "conv2d", "filters": 16, "stride": 2, "padding": "same"},
    {"id": "short", "type": "conv2d", "filters": 16, "kernel_size": 1, "stride": 2,
     "inputs": ["res"]},
    {"id": "res2", "type": "add", "inputs": ["down", "short"]},
    {"id": "gap", "type": "global_avgpool2d"},
    {"id": "out", "type": "dense", "units": 10},
)

INCEPTION = _net(
    [3, 16, 16],
    {"id": "stem", "type": "conv2d", "filters": 8, "padding": "same", "activation": "relu"},
    {"id": "pool", "type": "maxpool2d"},
    {"id": "b1", "type": "conv2d", "filters": 4, "kernel_size": 1, "inputs": ["pool"]},
    {"id": "b3_reduce", "type": "conv2d", "filters": 4, "kernel_size": 1, "inputs": ["pool"]},
    {"id": "b3", "type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same"},
    {"id": "b5_reduce", "type": "conv2d", "filters": 2, "kernel_size": 1, "inputs": ["pool"]},
    {"id": "b5", "type": "conv2d", "filters": 3, "kernel_size": 5, "padding": "same"},
    {"id": "bp", "type": "maxpool2d", "pool_size": 3, "stride": 1, "padding": 1,
     "inputs": ["pool"]},
    {"id": "bp_proj", "type": "conv2d", "filters": 5, "kernel_size": 1},
    {"id": "mixed", "type": "concat", "inputs": ["b1", "b3", "b5", "bp_proj"]},
    {"id": "gap", "type": "global_avgpool2d"},
    {"id": "out", "type": "dense", "units": 10},
)


@pytest.mark.parametrize("data", [RESIDUAL, INCEPTION], ids=["residual", "inception"])
def test_multi_branch_blocks_build_and_run(data: dict[str, Any]) -> None:
    spec = parse_network(data)
    summary = analyze(spec)
    assert summary.warnings == []
    assert summary.output_shape == (10,)
    net = build(spec)
    x = torch.randn(4, *spec.input.shape)
    out = net(x)  # training mode: batchnorm uses the batch
    assert out.shape == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    with torch.no_grad():
        assert net.eval()(x).shape == (4, 10)


def test_inception_concat_joins_channels() -> None:
    by_id = {s.id: s for s in analyze(parse_network(INCEPTION)).layers}
    assert by_id["mixed"].input_shapes == [(4, 8, 8), (6, 8, 8), (3, 8, 8), (5, 8, 8)]
    assert by_id["mixed"].output_shape == (18, 8, 8)


def test_residual_shortcut_reads_an_earlier_layer() -> None:
    spec = parse_network(RESIDUAL)
    net = build(spec)
    names = {node.layer_id: node.inputs for node in net.nodes}
    assert names["res"] == ("b_conv", "stem_relu")
    assert names["short"] == ("res",)
    assert names["stem"] == ("input",)


# -- layer ids that are also GraphNet attributes -------------------------------------


@pytest.mark.parametrize("layer_id", ["output", "spec", "nodes", "layer", "layer_names",
                                      "training"])
def test_any_valid_layer_id_builds(layer_id: str) -> None:
    spec = parse_network(_net([4], {"id": layer_id, "type": "dense", "units": 2}))
    assert analyze(spec).output_shape == (2,)
    net = build(spec)
    assert net(torch.randn(3, 4)).shape == (3, 2)
    assert isinstance(net.layer(layer_id), torch.nn.Linear)


@pytest.mark.parametrize("layer_id", ["forward", "self", "cuda", "a-b"])
def test_reserved_python_names_are_renamed(layer_id: str) -> None:
    spec = parse_network(_net([4], {"id": layer_id, "type": "dense", "units": 2}))
    net = build(spec)
    assert net(torch.randn(3, 4)).shape == (3, 2)
    assert isinstance(net.layer(layer_id), torch.nn.Linear)
