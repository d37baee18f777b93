"""Preset networks: JSON spec files, one per classic architecture."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.spec.errors import SpecError
from app.spec.network import NetworkSpec, parse_network

PRESET_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def load_presets(folder: Path) -> dict[str, NetworkSpec]:
    """Every `<name>.json` in folder, by name, sorted. A broken file is an error, not a skip."""
    presets: dict[str, NetworkSpec] = {}
    for path in sorted(folder.glob("*.json")):
        if not PRESET_NAME.match(path.stem):
            raise ValueError(f"{path.name}: preset file names are lower-kebab-case")
        try:
            presets[path.stem] = parse_network(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, SpecError) as exc:
            raise ValueError(f"preset {path.name} is invalid: {exc}") from exc
    return presets
