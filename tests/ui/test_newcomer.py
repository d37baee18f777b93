"""A newcomer's path, end to end at 1280x800: the first visit opens on the starting toy
network, which trains to the end as it is; then every preset that names its training
settings, loaded from the presets menu, trains with those settings and no other change
than one epoch (each preset's own epochs would take minutes on a 2-core machine).

With LAYERLAB_DOCS_SCREENSHOTS=1 (`make screenshots`) it also retakes the guide's
screenshots in docs/screenshots/: the trained starting network, and the attention maps of
the character transformer after its epoch."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from app.datasets import cifar
from app.settings import Settings
from tests.conftest import serving
from tests.ui.conftest import SHARED_MNIST
from tests.ui.test_playground import inspect_view, node, settled

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("LAYERLAB_DOCS_SCREENSHOTS") == "1"
SCREEN = {"width": 1280, "height": 800}
# CIFAR-10 cannot be downloaded here: small files in its own binary format stand in for it
# (the cifar10 presets then train on CIFAR-shaped images through the real reader).
CIFAR_RECORDS = 200
ENDED = re.compile(r"^(completed|failed|diverged|stopped)$")


def trainable_presets() -> list[tuple[str, str]]:
    """(preset, its first layer's id) of each preset file with its own training settings
    (the ImageNet classics name none: no dataset here has their 224x224 images)."""
    found = []
    for path in sorted(MODELS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("training") is not None:
            found.append((path.stem, data["layers"][0]["id"]))
    return found


def write_cifar_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in cifar.ALL_FILES:
        labels = rng.integers(0, 10, (CIFAR_RECORDS, 1), dtype=np.uint8)
        images = rng.integers(0, 256, (CIFAR_RECORDS, 3 * 32 * 32), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels, images], axis=1).tobytes())


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own server: the shared real digits for mnist-10k, CIFAR-format files
    for cifar10 (its workers are spawned with this environment)."""
    bins = tmp_path_factory.mktemp("cifar-10")
    write_cifar_files(bins)
    with pytest.MonkeyPatch.context() as patch:
        if SHARED_MNIST.exists():
            patch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))
        patch.setenv(cifar.ENV_VAR, str(bins))
        with serving(Settings(home=tmp_path_factory.mktemp("newcomer-home"))) as url:
            yield url


def train_to_the_end(page: Page) -> float:
    """Click Train; seconds until the dashboard says completed, with no error shown. A run
    that ends otherwise fails at once, with the reason the dashboard gives."""
    began = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    status = page.get_by_test_id("run-status")
    expect(status).to_have_text(ENDED, timeout=180_000)
    seconds = time.monotonic() - began
    assert status.inner_text() == "completed", page.get_by_test_id("run-line").inner_text()
    expect(page.get_by_test_id("train-error")).to_have_count(0)
    return seconds


def test_the_starting_network_trains_as_it_opens(
        page: Page, record_property: pytest.RecordProperty) -> None:
    page.set_viewport_size(SCREEN)
    page.goto("/")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    seconds = train_to_the_end(page)
    record_property("detail", f"the starting network trained as it opens in {seconds:.1f} s")
    expect(page.get_by_test_id("boundary")).to_be_visible()
    expect(page.get_by_test_id("loss-chart")).not_to_have_attribute("data-points", "0")
    if TAKE_SCREENSHOTS:
        page.screenshot(path=DOCS_SCREENSHOTS / "editor-and-dashboard.png")


@pytest.mark.parametrize(("preset", "layer"), trainable_presets())
def test_each_preset_trains_as_loaded(page: Page, preset: str, layer: str,
                                      record_property: pytest.RecordProperty) -> None:
    page.set_viewport_size(SCREEN)
    page.goto("/")
    expect(node(page, "hidden2")).to_be_visible()  # the starting network
    page.get_by_test_id("preset-picker").select_option(preset)
    expect(node(page, layer)).to_be_visible()
    settled(page)
    expect(page.get_by_test_id("not-trainable")).to_have_count(0)
    epochs = page.locator("#field-epochs")
    epochs.fill("1")
    epochs.press("Enter")
    seconds = train_to_the_end(page)
    record_property("detail", f"{preset} trained one epoch as loaded in {seconds:.1f} s")
    if TAKE_SCREENSHOTS and preset == "char-transformer":
        inspect_view(page, "attention")
        maps = page.get_by_test_id("attention-view").locator("canvas")
        expect(maps).to_have_count(2, timeout=30_000)
        page.locator("#dataset").scroll_into_view_if_needed()  # the form from its top
        page.screenshot(path=DOCS_SCREENSHOTS / "inspect-attention.png")
