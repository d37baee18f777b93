"""Exported code is standalone and reproduces the built model exactly."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from app.nn import build
from app.nn.codegen import class_name, to_python
from app.spec import NetworkSpec, SpecLimits, parse_network
from tests.conftest import MODELS_DIR, OVER_DEFAULT_LIMITS

PRESETS = sorted(p.stem for p in MODELS_DIR.glob("*.json") if p.stem not in OVER_DEFAULT_LIMITS)


def _load_module(source: str, tmp_path: Path, name: str) -> object:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _example_batch(spec: NetworkSpec) -> torch.Tensor:
    shape = (3, *spec.input.shape)
    if spec.input.dtype == "token":
        assert spec.input.vocab_size is not None
        return torch.randint(0, spec.input.vocab_size, shape)
    return torch.randn(shape)


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("name", PRESETS)
def test_exported_preset_reproduces_outputs(
    name: str, presets: dict[str, NetworkSpec], tmp_path: Path
) -> None:
    spec = presets[name]
    torch.manual_seed(0)
    model = build(spec).eval()
    source = to_python(spec)
    assert _imports(source) <= {"math", "torch"}
    generated = _load_module(source, tmp_path, f"gen_{name.replace('-', '_')}")
    exported = getattr(generated, class_name(spec.name))().eval()
    exported.load_state_dict(model.state_dict())  # strict: same keys, same shapes
    x = _example_batch(spec)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(OVER_DEFAULT_LIMITS))
def test_a_preset_too_big_to_train_by_default_exports_once_the_limit_is_raised(
    name: str, presets: dict[str, NetworkSpec], tmp_path: Path
) -> None:
    """Its source names every weight with the built model's shapes (compared on the meta
    device: hundreds of millions of real weights would tell nothing more)."""
    spec, raised = presets[name], SpecLimits(max_params=200_000_000)
    with pytest.raises(ValueError, match="LAYERLAB_LIMITS__MAX_PARAMS"):
        to_python(spec)
    generated = _load_module(to_python(spec, raised), tmp_path, f"gen_{name}")
    with torch.device("meta"):
        exported = getattr(generated, class_name(spec.name))()
    model = build(spec, raised, device="meta")
    shapes = {key: value.shape for key, value in model.state_dict().items()}
    assert {key: value.shape for key, value in exported.state_dict().items()} == shapes
    assert exported(torch.empty(2, *spec.input.shape, device="meta")).shape == (2, 1000)


def test_generated_code_is_readable_and_safe(tmp_path: Path) -> None:
    spec = parse_network({
        "name": 'Evil """ name\nimport os',
        "description": 'ends with a quote" and """ triple quotes',
        "input": {"shape": [4]},
        "layers": [
            {"id": "self", "type": "dense", "units": 3, "activation": "relu"},
            {"id": "in", "type": "dense", "units": 3},
            {"id": "x", "type": "dense", "units": 2, "trainable": False},
        ],
    })
    source = to_python(spec)
    tree = ast.parse(source)
    top_level = [type(node).__name__ for node in tree.body]
    assert top_level.count("Import") + top_level.count("ImportFrom") == 2  # torch, nn
    assert "x = self.x(in_)" in source
    assert "self.x.requires_grad_(False)" in source
    assert "# (B, 3)" in source
    generated = _load_module(source, tmp_path, "gen_evil")
    net = getattr(generated, class_name(spec.name))()
    assert [p.requires_grad for p in net.x.parameters()] == [False, False]
    assert "os" not in sys.modules.get("gen_evil", generated).__dict__


def test_class_name_is_an_identifier() -> None:
    assert class_name("MNIST CNN (Keras)") == "MnistCnnKeras"
    assert class_name("3-layer net") == "Net3LayerNet"
    assert class_name("!!!").isidentifier()
