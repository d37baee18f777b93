"""The transformer decoder block and the slice layer that feeds it: shapes, the causal
mask, cross-attention reading the source, the score matrices in the memory figure, the
errors that name what to change, and the exported code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from app.nn import analyze, build
from app.nn.codegen import class_name, to_python
from app.spec import SpecError, SpecIssue, parse_network
from app.spec.presets import network_part

PRESET = Path(__file__).resolve().parents[2] / "models" / "translation-transformer.json"
SOURCE, TARGET = 7, 4


def _preset() -> dict[str, Any]:
    data: dict[str, Any] = network_part(json.loads(PRESET.read_text(encoding="utf-8")))
    return data


def _tokens(batch: int = 5, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 43, (batch, SOURCE + TARGET),
                         generator=torch.Generator().manual_seed(seed))


def _issue(data: dict[str, Any]) -> SpecIssue:
    with pytest.raises(SpecError) as info:
        analyze(parse_network(data))
    assert len(info.value.issues) == 1, info.value.issues
    return info.value.issues[0]


def test_the_preset_gives_one_row_of_logits_per_target_position() -> None:
    summary = analyze(parse_network(_preset()))
    by_id = {layer.id: layer for layer in summary.layers}
    assert by_id["source"].output_shape == (SOURCE, 64)
    assert by_id["target"].output_shape == (TARGET, 64)
    assert by_id["decoder"].input_shapes == [(TARGET, 64), (SOURCE, 64)]
    assert by_id["decoder"].output_shape == (TARGET, 64)
    assert summary.output_shape == (TARGET, 43)


def test_the_decoder_counts_its_parameters_and_both_score_matrices() -> None:
    summary = analyze(parse_network(_preset()))
    decoder = next(layer for layer in summary.layers if layer.id == "decoder")
    dim, ff = 64, 128
    attention = 4 * dim * dim + 4 * dim  # q, k, v and output projections with biases
    expected = 2 * attention + 3 * 2 * dim + (dim * ff + ff) + (ff * dim + dim)
    assert decoder.params == expected
    assert sum(p.numel() for p in build(parse_network(_preset())).layer("decoder")
               .parameters()) == expected
    heads = 4
    assert decoder.attention_scores == heads * TARGET * TARGET + heads * TARGET * SOURCE
    outputs = TARGET * dim * 4
    assert decoder.activation_bytes == outputs + decoder.attention_scores * 4


def test_a_later_target_token_does_not_change_earlier_outputs() -> None:
    torch.manual_seed(0)
    model = build(parse_network(_preset())).eval()
    x = _tokens()
    changed = x.clone()
    changed[:, SOURCE + 2:] = (changed[:, SOURCE + 2:] + 5) % 43  # target positions 2 and 3
    with torch.no_grad():
        before, after = model(x), model(changed)
    torch.testing.assert_close(after[:, :2], before[:, :2], rtol=0, atol=0)
    assert not torch.allclose(after[:, 2:], before[:, 2:])


def test_cross_attention_reads_the_source() -> None:
    torch.manual_seed(0)
    model = build(parse_network(_preset())).eval()
    x = _tokens()
    changed = x.clone()
    changed[:, 3] = (changed[:, 3] + 7) % 43  # one source word
    with torch.no_grad():
        before, after = model(x), model(changed)
    assert not torch.allclose(after[:, 0], before[:, 0])  # even the first target position


def test_the_exported_code_runs_the_decoder_on_both_streams(tmp_path: Path) -> None:
    spec = parse_network(_preset())
    source = to_python(spec)
    assert "class TransformerDecoderBlock(nn.Module):" in source
    assert "class Slice(nn.Module):" in source
    assert "decoder = self.decoder(target_pos, encoder)  # (B, 4, 64)" in source
    path = tmp_path / "translation.py"
    path.write_text(source, encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "translation"}
    exec(compile(source, str(path), "exec"), namespace)  # our own generated code
    torch.manual_seed(0)
    model = build(spec).eval()
    exported = namespace[class_name(spec.name)]().eval()
    exported.load_state_dict(model.state_dict())
    x = _tokens()
    with torch.no_grad():
        torch.testing.assert_close(exported(x), model(x), rtol=0, atol=0)


def _decoder_net(*layers: dict[str, Any], shape: list[int] | None = None) -> dict[str, Any]:
    return {"input": {"shape": shape or [6, 8]}, "layers": list(layers)}


def test_one_input_is_refused_naming_the_two_it_needs() -> None:
    with pytest.raises(SpecError) as info:
        parse_network(_decoder_net({"id": "dec", "type": "transformer_decoder_block",
                                    "num_heads": 2}))
    issue = info.value.issues[0]
    assert issue.layer_id == "dec" and "at least 2 inputs" in issue.message


def test_three_inputs_are_refused() -> None:
    with pytest.raises(SpecError) as info:
        parse_network(_decoder_net(
            {"id": "a", "type": "dense", "units": 8},
            {"id": "dec", "type": "transformer_decoder_block", "num_heads": 2,
             "inputs": ["input", "a", "a"]}))
    issue = info.value.issues[0]
    assert issue.layer_id == "dec" and "at most 2" in issue.message


def test_heads_must_divide_the_target_width() -> None:
    issue = _issue(_decoder_net(
        {"id": "mem", "type": "dense", "units": 8},
        {"id": "dec", "type": "transformer_decoder_block", "num_heads": 3,
         "inputs": ["input", "mem"]}))
    assert (issue.layer_id, issue.field) == ("dec", "num_heads")
    assert "num_heads 3 must divide the width 8" in issue.message


def test_the_encoder_output_must_be_a_sequence() -> None:
    issue = _issue(_decoder_net(
        {"id": "pooled", "type": "sequence_pool"},
        {"id": "dec", "type": "transformer_decoder_block", "num_heads": 2,
         "inputs": ["input", "pooled"]}))
    assert (issue.layer_id, issue.field) == ("dec", "inputs")
    assert "'pooled'" in issue.message and "(8,)" in issue.message
    assert "[the target sequence, the encoder's output]" in issue.message


def test_token_ids_as_the_encoder_output_ask_for_an_embedding() -> None:
    issue = _issue({"input": {"shape": [6], "dtype": "token", "vocab_size": 20}, "layers": [
        {"id": "embed", "type": "embedding", "dim": 8},
        {"id": "dec", "type": "transformer_decoder_block", "num_heads": 2,
         "inputs": ["embed", "input"]}]})
    assert (issue.layer_id, issue.field) == ("dec", "inputs")
    assert "token ids" in issue.message and "embedding" in issue.message


@pytest.mark.parametrize(("layer", "field", "words"), [
    ({"start": 2, "stop": 12}, "stop", "stop 12 is past the end of axis 0, which has 10"),
    ({"start": 10}, "start", "start 10 leaves nothing of axis 0"),
    ({"axis": 1}, "axis", "axis 1 is out of range for a (10,) input"),
])
def test_a_slice_out_of_range_names_its_field(layer: dict[str, Any], field: str,
                                              words: str) -> None:
    issue = _issue({"input": {"shape": [10], "dtype": "token", "vocab_size": 20},
                    "layers": [{"id": "cut", "type": "slice", **layer}]})
    assert (issue.layer_id, issue.field) == ("cut", field)
    assert words in issue.message


def test_a_slice_that_stops_before_it_starts_is_refused_at_parsing() -> None:
    with pytest.raises(SpecError) as info:
        parse_network({"input": {"shape": [10]},
                       "layers": [{"id": "cut", "type": "slice", "start": 5, "stop": 3}]})
    assert "stop 3 must be greater than start 5" in str(info.value)
