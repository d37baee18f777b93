"""Every preset in models/*.json parses, builds and keeps its documented shape, and names
training settings it trains with as loaded; the ImageNet classics have exactly
torchvision's parameter counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from app.nn import analyze, build
from app.spec import SpecLimits
from app.spec.presets import read_network, read_presets
from app.train.session import check_training
from tests.conftest import IMAGENET_PRESETS, OVER_DEFAULT_LIMITS

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PRESET_FILES = sorted(MODELS_DIR.glob("*.json"))
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

EXACT_PARAMS = {
    "mnist-keras-cnn": 203_434,
    "mnist-mlp": 535_818,  # 784*512 + 512, 512*256 + 256, 256*10 + 10
    "cifar10-cnn": 4_210_090,
    # torchvision.models.alexnet(), vgg16(), resnet18(), googlenet(aux_logits=False,
    # init_weights=True): sum(p.numel() for p in model.parameters())
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "googlenet": 6_624_904,
}
# Presets over the default max_params are built here on the meta device only, as a
# forward pass of hundreds of millions of weights on the CPU says nothing the shapes do not.
RAISED = SpecLimits(max_params=200_000_000)


def test_presets_exist() -> None:
    names = {path.stem for path in PRESET_FILES}
    assert set(EXACT_PARAMS) | {"mnist-autoencoder"} <= names


@pytest.mark.parametrize("name", sorted(IMAGENET_PRESETS))
def test_an_imagenet_classic_reads_224_pixel_colour_images_into_1000_classes(name: str) -> None:
    spec = read_network(MODELS_DIR / f"{name}.json")
    summary = analyze(spec, enforce=False)
    assert summary.input_shape == (3, 224, 224)
    assert summary.output_shape == (1000,)
    assert summary.total_params == EXACT_PARAMS[name]
    too_big = name in OVER_DEFAULT_LIMITS
    assert bool(summary.over_limits) == too_big
    assert (summary.total_params > SpecLimits().max_params) == too_big
    assert "torchvision" in spec.description


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_a_preset_trains_as_loaded_on_the_dataset_it_was_made_for(path: Path) -> None:
    """Its settings fit its network (shapes, task, loss, limits); only the ImageNet
    classics, which no built-in dataset fits, name none, and say what they were made for."""
    preset = read_presets(MODELS_DIR)[path.stem]
    if path.stem in IMAGENET_PRESETS:
        assert preset.training is None
        assert "ImageNet" in preset.network.description
        return
    assert preset.training is not None, f"{path.name} names no training settings"
    checked = check_training(preset.network, preset.training, SpecLimits())
    assert checked.task.kind.name == preset.training.task


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_file(path: Path) -> None:
    assert SLUG.match(path.stem), f"{path.name}: the file stem must be lower-kebab-case"
    spec = read_presets(MODELS_DIR)[path.stem].network
    assert spec.name.strip()
    assert spec.description.strip()

    too_big = path.stem in OVER_DEFAULT_LIMITS
    assert bool(analyze(spec, enforce=False).over_limits) == too_big
    summary = analyze(spec, RAISED if too_big else None)
    net = build(spec, RAISED if too_big else None, device="meta" if too_big else None)
    built_params = sum(p.numel() for p in net.parameters())
    assert built_params == summary.total_params

    if path.stem in EXACT_PARAMS:
        assert summary.total_params == EXACT_PARAMS[path.stem]
        assert built_params == EXACT_PARAMS[path.stem]

    if path.stem == "mnist-autoencoder":
        assert summary.output_shape == summary.input_shape == tuple(spec.input.shape)
    if too_big:
        return

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
