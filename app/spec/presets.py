"""Preset networks: JSON spec files, one per classic architecture. A preset is a network
and, where the file has a `training` group, the settings it was made to train with (its
dataset, task, loss, optimizer, epochs): loaded or named without settings, it trains as
it is."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from app.spec.errors import SpecError, describe_validation
from app.spec.network import NetworkSpec, parse_network
from app.spec.training import TrainingSpec, lay_over

PRESET_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Preset:
    network: NetworkSpec
    training: TrainingSpec | None  # None: no dataset here fits it (ImageNet-sized, say)


def network_part(data: Any) -> Any:
    """A preset file's network: the file without its training group (any other JSON is
    returned as it is), so a preset file reads wherever a network spec does."""
    if isinstance(data, dict) and "training" in data:
        return {key: value for key, value in data.items() if key != "training"}
    return data


def read_network(path: Path) -> NetworkSpec:
    """The network of a spec file or a preset file; raises SpecError or ValueError."""
    return parse_network(network_part(json.loads(path.read_text(encoding="utf-8"))))


def read_presets(folder: Path) -> dict[str, Preset]:
    """Every `<name>.json` in folder, by name, sorted. A broken file is an error, not a skip."""
    presets: dict[str, Preset] = {}
    for path in sorted(folder.glob("*.json")):
        if not PRESET_NAME.match(path.stem):
            raise ValueError(f"{path.name}: preset file names are lower-kebab-case")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            training = data.get("training") if isinstance(data, dict) else None
            presets[path.stem] = Preset(
                parse_network(network_part(data)),
                None if training is None else TrainingSpec.model_validate(training))
        except (json.JSONDecodeError, SpecError, ValidationError) as exc:
            raise ValueError(f"preset {path.name} is invalid: {exc}") from exc
    return presets


def networks(presets: Mapping[str, Preset]) -> dict[str, NetworkSpec]:
    """Each preset's network, by name."""
    return {name: preset.network for name, preset in presets.items()}


def load_presets(folder: Path) -> dict[str, NetworkSpec]:
    """The preset networks of folder, by name (see read_presets)."""
    return networks(read_presets(folder))


def given_fields(settings: BaseModel) -> dict[str, Any]:
    """The fields a request set, group by group, with the values it gave (not serialised
    again: a value nested past the serialiser's depth still reaches the check that
    refuses it)."""
    return {name: given_fields(value) if isinstance(value, BaseModel) else value
            for name in settings.model_fields_set for value in [getattr(settings, name)]}


class PresetTrainingError(ValueError):
    """A run of a preset whose settings cannot be completed."""


def preset_settings(name: str, own: TrainingSpec | None,
                    changes: Mapping[str, Any] | None) -> TrainingSpec:
    """The settings a run of preset `name` trains with: its `own` when no `changes` are
    given, else the changes laid over its own (only the fields given, so
    `{"dataset": {"name": "chars"}}` keeps the preset's task, sequence options and
    optimizer; naming another dataset starts from none of its dataset options)."""
    if own is None:
        if changes is None or "dataset" not in changes:
            raise PresetTrainingError(
                f"preset {name!r} names no training settings (no built-in dataset fits "
                "its input): give training with a dataset")
        merged = dict(changes)
    elif changes is None:
        return own
    else:
        merged = lay_over(own, changes)
    try:
        return TrainingSpec.model_validate(merged)
    except ValidationError as exc:
        raise PresetTrainingError(f"the settings given for preset {name!r} are invalid: "
                                  f"{describe_validation(exc, merged)}") from None
