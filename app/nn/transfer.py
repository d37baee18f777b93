"""Weights from one network into another: a layer's tensors are taken when the layer id
and every tensor's shape match, whole layers only. Transfer learning and continuing a
run after an edit both use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from app.spec.origin import SkippedLayer

Shape = tuple[int, ...]


@dataclass
class Matched:
    """The tensors to load (a partial state dict), and per layer what happened."""

    state: dict[str, torch.Tensor] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)
    skipped: list[SkippedLayer] = field(default_factory=list)


def by_layer(keys: Sequence[str]) -> dict[str, list[str]]:
    """State-dict keys grouped by layer id (a key is '<layer id>.<path in the layer>')."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key.split(".", 1)[0], []).append(key)
    return groups


def match_weights(target: Mapping[str, Shape], source: Mapping[str, torch.Tensor],
                  layer_ids: Sequence[str]) -> Matched:
    """Which of `source`'s tensors fit a network whose state has the shapes `target`;
    `layer_ids` gives the report's order (layers without tensors are left out)."""
    wanted, offered = by_layer(list(target)), by_layer(list(source))
    matched = Matched()
    for layer in layer_ids:
        keys = wanted.get(layer)
        if not keys:
            continue
        reason = _mismatch(layer, keys, target, source, offered.get(layer, []))
        if reason is None:
            matched.state |= {key: source[key] for key in keys}
            matched.loaded.append(layer)
        else:
            matched.skipped.append(SkippedLayer(layer=layer, reason=reason))
    return matched


def _mismatch(layer: str, keys: list[str], target: Mapping[str, Shape],
              source: Mapping[str, torch.Tensor], offered: list[str]) -> str | None:
    if not offered:
        return "the source has no layer with this id"
    if sorted(keys) != sorted(offered):
        return "the source's layer with this id is of another kind"
    for key in keys:
        here, there = tuple(target[key]), tuple(source[key].shape)
        if here != there:
            name = key.split(".", 1)[1].removeprefix("0.")  # '0.': the layer in its wrapper
            return f"{name} is {list(here)} here but {list(there)} in the source"
    return None
