"""Every preset in models/*.json parses, builds and keeps its documented shape."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from app.nn import analyze, build
from app.spec import parse_network

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PRESET_FILES = sorted(MODELS_DIR.glob("*.json"))
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

EXACT_PARAMS = {
    "mnist-keras-cnn": 203_434,
    "cifar10-cnn": 4_210_090,
}


def test_presets_exist() -> None:
    names = {path.stem for path in PRESET_FILES}
    assert set(EXACT_PARAMS) | {"mnist-autoencoder"} <= names


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_file(path: Path) -> None:
    assert SLUG.match(path.stem), f"{path.name}: the file stem must be lower-kebab-case"
    spec = parse_network(json.loads(path.read_text(encoding="utf-8")))
    assert spec.name.strip()
    assert spec.description.strip()

    summary = analyze(spec)
    net = build(spec)
    built_params = sum(p.numel() for p in net.parameters())
    assert built_params == summary.total_params

    if path.stem in EXACT_PARAMS:
        assert summary.total_params == EXACT_PARAMS[path.stem]
        assert built_params == EXACT_PARAMS[path.stem]

    if path.stem == "mnist-autoencoder":
        assert summary.output_shape == summary.input_shape == tuple(spec.input.shape)

    # A real CPU forward pass on a batch of 2.
    torch.manual_seed(0)
    if spec.input.dtype == "token":
        assert spec.input.vocab_size is not None
        x = torch.randint(0, spec.input.vocab_size, (2, *spec.input.shape))
    else:
        x = torch.randn(2, *spec.input.shape)
    net.eval()
    with torch.no_grad():
        y = net(x)
    assert tuple(y.shape) == (2, *summary.output_shape)
    assert torch.isfinite(y).all()
