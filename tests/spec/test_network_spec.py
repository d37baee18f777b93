"""The network spec: parsing, the layer graph, and errors that name the layer and field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.spec import (
    NETWORK_INPUT,
    NetworkSpec,
    SpecError,
    SpecIssue,
    SpecLimits,
    parse_network,
    resolve_inputs,
    topological_order,
)

ROOT = Path(__file__).resolve().parents[2]


def _net(*layers: dict[str, Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {"input": {"shape": shape or [8]}, "layers": list(layers)}


def _dense(layer_id: str, units: int = 4, **extra: Any) -> dict[str, Any]:
    return {"id": layer_id, "type": "dense", "units": units, **extra}


def _issues(data: Any, limits: SpecLimits | None = None) -> list[SpecIssue]:
    with pytest.raises(SpecError) as info:
        parse_network(data, limits)
    assert info.value.issues, "a SpecError must carry at least one issue"
    return info.value.issues


def _one_issue(data: Any, limits: SpecLimits | None = None) -> SpecIssue:
    issues = _issues(data, limits)
    assert len(issues) == 1, issues
    return issues[0]


# -- valid specs ---------------------------------------------------------------------

VALID = {
    "version": 1,
    "name": "Round trip",
    "description": "Every kind of field.",
    "input": {"shape": [3, 16, 16]},
    "layers": [
        {"id": "conv", "type": "conv2d", "filters": 8, "kernel_size": [3, 5], "stride": 1,
         "padding": "same", "activation": "relu"},
        {"id": "bn", "type": "batchnorm", "trainable": False},
        {"id": "skip", "type": "conv2d", "filters": 8, "kernel_size": 1, "inputs": ["input"]},
        {"id": "sum", "type": "add", "inputs": ["bn", "skip"]},
        {"id": "pool", "type": "maxpool2d", "pool_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "drop", "type": "dropout", "rate": 0.25},
        {"id": "out", "type": "dense", "units": 10, "activation": "softmax"},
    ],
}


def test_valid_spec_round_trips_through_model_dump() -> None:
    spec = parse_network(VALID)
    assert isinstance(spec, NetworkSpec)
    assert parse_network(spec.model_dump()) == spec
    as_json = json.loads(json.dumps(spec.model_dump(mode="json")))
    again = parse_network(as_json)
    assert again == spec
    assert again.model_dump(mode="json") == as_json


def test_parsed_values_and_defaults() -> None:
    spec = parse_network(VALID)
    assert spec.version == 1
    assert spec.input.shape == [3, 16, 16]
    assert spec.input.dtype == "float"
    conv = spec.layer("conv")
    assert conv.type == "conv2d"
    assert conv.kernel_size == (3, 5)
    assert conv.inputs is None
    assert conv.trainable is True
    assert spec.layer("bn").trainable is False
    assert [layer.id for layer in spec.layers][-1] == "out"
    with pytest.raises(KeyError):
        spec.layer("nope")


def test_minimal_spec_gets_defaults() -> None:
    spec = parse_network({"input": {"shape": [2]}, "layers": [_dense("out", 1)]})
    assert spec.version == 1
    assert spec.name
    assert spec.description == ""


def test_token_input_with_vocab_size() -> None:
    spec = parse_network({
        "input": {"shape": [16], "dtype": "token", "vocab_size": 100},
        "layers": [{"id": "emb", "type": "embedding", "dim": 8}],
    })
    assert spec.input.vocab_size == 100


def test_default_inputs_resolve_to_the_previous_layer() -> None:
    spec = parse_network(VALID)
    assert resolve_inputs(spec.layers) == {
        "conv": [NETWORK_INPUT],
        "bn": ["conv"],
        "skip": ["input"],
        "sum": ["bn", "skip"],
        "pool": ["sum"],
        "flat": ["pool"],
        "drop": ["flat"],
        "out": ["drop"],
    }


def test_default_input_follows_spec_order_not_the_graph() -> None:
    # A layer after a side branch reads the branch (the previous layer in the list).
    spec = parse_network(_net(_dense("a"), _dense("side", inputs=["input"]), _dense("b")))
    assert resolve_inputs(spec.layers)["b"] == ["side"]


def _assert_topological(spec: NetworkSpec, order: list[str]) -> None:
    assert sorted(order) == sorted(layer.id for layer in spec.layers)
    inputs = resolve_inputs(spec.layers)
    for position, layer_id in enumerate(order):
        for source in inputs[layer_id]:
            assert source == NETWORK_INPUT or order.index(source) < position, (layer_id, source)


def test_topological_order_of_a_sequential_net_is_top_to_bottom() -> None:
    spec = parse_network(_net(_dense("a"), _dense("b"), _dense("c"), _dense("d")))
    assert topological_order(spec.layers) == ["a", "b", "c", "d"]


def test_topological_order_for_a_residual_block() -> None:
    spec = parse_network(VALID)
    order = topological_order(spec.layers)
    _assert_topological(spec, order)
    assert order[0] == "conv"
    assert order.index("sum") > max(order.index("bn"), order.index("skip"))
    assert order[-4:] == ["pool", "flat", "drop", "out"]


def test_topological_order_puts_inputs_first() -> None:
    # The merge is listed before the branch it reads.
    spec = parse_network(_net(
        _dense("stem"),
        {"id": "join", "type": "add", "inputs": ["body2", "stem"]},
        _dense("body1", inputs=["stem"]),
        _dense("body2"),
        _dense("out", 2, inputs=["join"]),
    ))
    order = topological_order(spec.layers)
    assert order == ["stem", "body1", "body2", "join", "out"]
    _assert_topological(spec, order)


# -- graph errors --------------------------------------------------------------------


def test_duplicate_ids() -> None:
    issue = _one_issue(_net(_dense("a"), _dense("a")))
    assert (issue.layer_id, issue.field) == ("a", "id")
    assert "duplicate" in issue.message
    assert "unique" in issue.message


def test_id_input_is_reserved() -> None:
    issue = _one_issue(_net(_dense("input")))
    assert (issue.layer_id, issue.field) == ("input", "id")
    assert "network input" in issue.message


@pytest.mark.parametrize("bad_id", ["1conv", "my layer", "_hidden", "a" * 65, "conv.1", ""])
def test_bad_id_pattern(bad_id: str) -> None:
    issue = _one_issue(_net(_dense(bad_id)))
    assert issue.field == "id"
    assert issue.layer_id == bad_id or issue.layer_id == "layers[0]"
    assert "pattern" in issue.message


def test_missing_id_names_the_position() -> None:
    issue = _one_issue(_net(_dense("a"), {"type": "dense", "units": 2}))
    assert (issue.layer_id, issue.field) == ("layers[1]", "id")
    assert "required" in issue.message.lower()


def test_unknown_input_id() -> None:
    issue = _one_issue(_net(_dense("a"), _dense("b", inputs=["nope"])))
    assert (issue.layer_id, issue.field) == ("b", "inputs")
    assert "unknown input 'nope'" in issue.message
    assert "'input'" in issue.message


def test_every_graph_problem_is_reported() -> None:
    issues = _issues(_net(_dense("a", inputs=["x"]), _dense("b", inputs=["y"])))
    assert [(i.layer_id, i.field) for i in issues] == [("a", "inputs"), ("b", "inputs")]
    error = SpecError(issues)
    assert "a.inputs: unknown input 'x'" in str(error)
    assert "b.inputs: unknown input 'y'" in str(error)


def test_cycle() -> None:
    issue = _one_issue(_net(_dense("a", inputs=["c"]), _dense("b"), _dense("c")))
    assert issue.field == "inputs"
    assert issue.layer_id in {"a", "b", "c"}
    assert "cycle" in issue.message
    assert "->" in issue.message
    for layer_id in "abc":
        assert layer_id in issue.message


def test_layer_reading_itself_is_a_cycle() -> None:
    issue = _one_issue(_net(_dense("a"), _dense("b", inputs=["b"])))
    assert (issue.layer_id, issue.field) == ("b", "inputs")
    assert "b -> b" in issue.message


@pytest.mark.parametrize("kind", ["add", "multiply", "concat"])
@pytest.mark.parametrize("inputs", [["a"], None])
def test_merge_needs_two_inputs(kind: str, inputs: list[str] | None) -> None:
    merge: dict[str, Any] = {"id": "m", "type": kind}
    if inputs is not None:
        merge["inputs"] = inputs
    issue = _one_issue(_net(_dense("a"), merge))
    assert (issue.layer_id, issue.field) == ("m", "inputs")
    assert f"{kind} needs at least 2 inputs" in issue.message


def test_single_input_layer_with_two_inputs() -> None:
    issue = _one_issue(_net(_dense("a"), _dense("b", inputs=["a", "input"])))
    assert (issue.layer_id, issue.field) == ("b", "inputs")
    assert "at most 1" in issue.message


def test_attention_takes_at_most_two_inputs() -> None:
    attn = {"id": "att", "type": "multihead_attention", "inputs": ["a", "b", "input"]}
    issue = _one_issue(_net(_dense("a"), _dense("b"), attn, shape=[4, 8]))
    assert (issue.layer_id, issue.field) == ("att", "inputs")
    assert "at most 2" in issue.message


# -- field errors --------------------------------------------------------------------


def test_unknown_layer_type_lists_known_types() -> None:
    issue = _one_issue(_net(_dense("a"), {"id": "c3", "type": "conv3d", "filters": 2}))
    assert issue.layer_id == "c3"
    assert issue.field is None
    assert "unknown layer type 'conv3d'" in issue.message
    for known in ("conv2d", "dense", "lstm", "concat"):
        assert known in issue.message


def test_missing_type() -> None:
    issue = _one_issue(_net({"id": "a", "units": 3}))
    assert issue.layer_id == "a"
    assert "type" in issue.message


def test_missing_required_field() -> None:
    issue = _one_issue(_net(_dense("a"), {"id": "fc", "type": "dense"}))
    assert (issue.layer_id, issue.field) == ("fc", "units")
    assert "required" in issue.message.lower()


@pytest.mark.parametrize(
    ("layer", "field", "words"),
    [
        (_dense("fc", 0), "units", "greater than or equal to 1"),
        (_dense("fc", 100_000), "units", "less than or equal to 65536"),
        ({"id": "fc", "type": "dropout", "rate": 1.0}, "rate", "less than 1"),
        ({"id": "fc", "type": "dropout", "rate": -0.1}, "rate", "greater than or equal to 0"),
        ({"id": "fc", "type": "dense", "units": "many"}, "units", "integer"),
        ({"id": "fc", "type": "activation", "activation": "mish"}, "activation", "relu"),
        ({"id": "fc", "type": "reshape", "shape": [-1, -1]}, "shape", "-1"),
        ({"id": "fc", "type": "permute", "dims": [0, 0]}, "dims", "permutation"),
    ],
)
def test_out_of_bounds_or_invalid_value(layer: dict[str, Any], field: str, words: str) -> None:
    issue = _one_issue(_net(_dense("a"), layer))
    assert (issue.layer_id, issue.field) == ("fc", field)
    assert words in issue.message


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        ({"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": 40}, "kernel_size"),
        ({"id": "conv", "type": "conv2d", "filters": 2, "kernel_size": [3, 0]}, "kernel_size"),
        ({"id": "conv", "type": "conv2d", "filters": 2, "stride": 0}, "stride"),
        ({"id": "conv", "type": "conv2d", "filters": 2, "padding": "full"}, "padding"),
    ],
    ids=["kernel-too-big", "kernel-pair-zero", "stride-zero", "padding-unknown"],
)
def test_union_field_errors_name_the_field(layer: dict[str, Any], field: str) -> None:
    issues = _issues(_net(layer, shape=[1, 8, 8]))
    for issue in issues:
        assert issue.layer_id == "conv"
        assert issue.field in {field, f"{field}.0", f"{field}.1"}, issue
    assert len(issues) == 1, issues


def test_nested_field_path() -> None:
    issue = _one_issue(_net(_dense("a"), _dense("b", inputs=["1bad"])))
    assert (issue.layer_id, issue.field) == ("b", "inputs.0")
    assert "pattern" in issue.message


def test_extra_unknown_field() -> None:
    issue = _one_issue(_net(_dense("fc", unitz=3)))
    assert (issue.layer_id, issue.field) == ("fc", "unitz")
    assert "extra" in issue.message.lower()


def test_extra_top_level_field() -> None:
    issue = _one_issue({**_net(_dense("fc")), "optimizer": "adam"})
    assert (issue.layer_id, issue.field) == (None, "optimizer")


def test_no_layers() -> None:
    issue = _one_issue({"input": {"shape": [4]}, "layers": []})
    assert (issue.layer_id, issue.field) == (None, "layers")


def test_token_input_needs_vocab_size() -> None:
    issue = _one_issue({"input": {"shape": [16], "dtype": "token"},
                        "layers": [{"id": "emb", "type": "embedding", "dim": 8}]})
    assert issue.layer_id is None
    assert issue.field == "input"
    assert "vocab_size" in issue.message


def test_vocab_size_needs_token_input() -> None:
    issue = _one_issue({"input": {"shape": [16], "vocab_size": 10}, "layers": [_dense("fc")]})
    assert issue.field == "input"
    assert "token" in issue.message


def test_bad_input_shape() -> None:
    issue = _one_issue(_net(_dense("fc"), shape=[1, 2, 3, 4, 5]))
    assert issue.layer_id is None
    assert issue.field is not None and issue.field.startswith("input.shape")


# -- limits --------------------------------------------------------------------------


def test_over_max_layers() -> None:
    data = _net(_dense("a"), _dense("b"), _dense("c"), _dense("d"))
    issue = _one_issue(data, SpecLimits(max_layers=3))
    assert (issue.layer_id, issue.field) == (None, "layers")
    assert "4 layers" in issue.message
    assert "limit of 3" in issue.message
    parse_network(data, SpecLimits(max_layers=4))


def test_over_max_input_elements() -> None:
    data = _net(_dense("a"), shape=[3, 8, 8])
    issue = _one_issue(data, SpecLimits(max_input_elements=100))
    assert (issue.layer_id, issue.field) == (None, "input.shape")
    assert "192" in issue.message
    assert "limit of 100" in issue.message
    parse_network(data, SpecLimits(max_input_elements=192))


def test_both_limits_reported_together() -> None:
    data = _net(_dense("a"), _dense("b"), shape=[3, 8, 8])
    issues = _issues(data, SpecLimits(max_layers=1, max_input_elements=10))
    assert {i.field for i in issues} == {"layers", "input.shape"}


# -- purity --------------------------------------------------------------------------


def test_spec_package_never_imports_torch() -> None:
    code = "import app.spec, sys; assert 'torch' not in sys.modules, 'app.spec imported torch'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
