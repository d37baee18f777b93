"""Shape inference that goes as far as it can. On a spec with errors it still measures
every layer that no invalid layer feeds, so an editor keeps showing their shapes and
parameters while a person fixes the one that is wrong; and it names every invalid
layer it meets, not only the first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import torch
from pydantic import TypeAdapter, ValidationError

from app.nn.bounds import SHOWN_OVER, limit_issues
from app.nn.infer import LayerSummary, trace_layer
from app.spec import NETWORK_INPUT, InputSpec, LayerSpec, SpecError, SpecLimits, parse_network
from app.spec.base import LayerSpecBase
from app.spec.errors import SpecIssue
from app.spec.graph import not_feeding_output, resolve_inputs
from app.spec.network import HARD_MAX_LAYERS

_LAYER: TypeAdapter[LayerSpecBase] = TypeAdapter(LayerSpec)


@dataclass(frozen=True)
class PartialSummary:
    """What could be inferred of a spec: the input's shape (None when the input itself is
    invalid), the layers measured (in the spec's order), every issue found, and the
    layers that do not feed the output layer (the last one)."""

    input_shape: tuple[int, ...] | None
    layers: list[LayerSummary]
    issues: list[SpecIssue]
    disconnected: list[str]


@dataclass(frozen=True)
class _Entry:
    id: str
    layer: LayerSpecBase | None  # None: the layer itself is invalid
    inputs: list[str]


def trace_partial(data: Any, limits: SpecLimits | None = None) -> PartialSummary:
    """Validate raw spec JSON as far as it goes; never raises on a bad spec."""
    limits = limits or SpecLimits()
    try:
        spec = parse_network(data, limits)
    except SpecError as exc:
        issues, network_input, entries = exc.issues, _input_of(data), _raw_entries(data)
    else:
        inputs = resolve_inputs(spec.layers)
        issues, network_input = [], spec.input
        entries = [_Entry(layer.id, layer, inputs[layer.id]) for layer in spec.layers]
    disconnected = not_feeding_output({e.id: e.inputs for e in entries})
    if network_input is None or limits.structure_issues(network_input.shape, len(entries)):
        return PartialSummary(None, [], issues, disconnected)
    summaries, found = _walk(network_input, entries, limits)
    known = {(i.layer_id, i.field, i.message) for i in issues}
    issues = issues + [i for i in found if (i.layer_id, i.field, i.message) not in known]
    position = {e.id: n for n, e in enumerate(entries)}
    layers = sorted(summaries, key=lambda s: position[s.id])
    return PartialSummary(tuple(network_input.shape), layers, issues, disconnected)


def _walk(network_input: InputSpec, entries: list[_Entry],
          limits: SpecLimits) -> tuple[list[LayerSummary], list[SpecIssue]]:
    """Measure each valid layer once all its inputs are measured, until none is left
    that can be: a layer fed by an invalid one (or by a cycle) is never measured."""
    dtype = torch.long if network_input.dtype == "token" else torch.float32
    first = torch.zeros(1, *network_input.shape, dtype=dtype, device="meta")
    values = {NETWORK_INPUT: first}
    summaries: list[LayerSummary] = []
    issues: list[SpecIssue] = []
    total_params, activation_bytes = 0, first.numel() * first.element_size()
    waiting = [e for e in entries if e.layer is not None]
    progress = True
    while progress:
        progress = False
        for entry in list(waiting):
            if not all(i in values for i in entry.inputs):
                continue
            waiting.remove(entry)
            progress = True
            assert entry.layer is not None
            try:
                _, out, summary = trace_layer(network_input, entry.layer, entry.inputs,
                                              [values[i] for i in entry.inputs], None)
                summary = replace(summary, activation_bytes=out.numel() * out.element_size()
                                  + summary.attention_scores * 4)
                _check_limits(summary, total_params + summary.params,
                              activation_bytes + summary.activation_bytes, limits)
            except SpecError as exc:
                issues.extend(exc.issues)
                continue
            values[entry.id] = out
            total_params += summary.params
            activation_bytes += summary.activation_bytes
            summaries.append(summary)
    return summaries, issues


def _check_limits(summary: LayerSummary, total_params: int, activation_bytes: int,
                  limits: SpecLimits) -> None:
    """Refuse the layer where the network crosses a limit that validation enforces (a
    network only too big to train is still shown)."""
    for name, issue in limit_issues(summary, total_params, activation_bytes, limits):
        if name not in SHOWN_OVER:
            raise SpecError([issue])


def _input_of(data: Any) -> InputSpec | None:
    try:
        return InputSpec.model_validate(data.get("input") if isinstance(data, Mapping) else None)
    except ValidationError:
        return None


def _raw_entries(data: Any) -> list[_Entry]:
    """The layers of a spec that failed validation, each parsed on its own (None where it
    is invalid, or where its id is missing, reserved or taken twice)."""
    raw = data.get("layers") if isinstance(data, Mapping) else None
    if not isinstance(raw, list):
        return []
    entries: list[_Entry] = []
    previous = NETWORK_INPUT
    for index, item in enumerate(raw[:HARD_MAX_LAYERS]):
        given = item.get("id") if isinstance(item, Mapping) else None
        layer_id = given if isinstance(given, str) else f"layers[{index}]"
        listed = item.get("inputs") if isinstance(item, Mapping) else None
        inputs = ([str(i) for i in listed] if isinstance(listed, list) else [previous])
        entries.append(_Entry(layer_id, _parsed_layer(item), inputs))
        previous = layer_id
    times = Counter(e.id for e in entries)
    return [e if times[e.id] == 1 and e.id != NETWORK_INPUT and _takes(e) else
            replace(e, layer=None) for e in entries]


def _takes(entry: _Entry) -> bool:
    """Whether the layer takes as many inputs as it lists."""
    layer = entry.layer
    return layer is not None and layer.min_inputs <= len(entry.inputs) <= layer.max_inputs


def _parsed_layer(item: Any) -> LayerSpecBase | None:
    try:
        return _LAYER.validate_python(item)
    except ValidationError:
        return None
