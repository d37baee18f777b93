"""A preset brings the training settings it was made for: loaded in the playground, the
training form takes its dataset, options, task and optimizer, and Train trains it as
loaded, with no setting changed. A preset file imported with its settings does the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import node, open_playground, settled

pytestmark = pytest.mark.slow

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_a_loaded_preset_trains_as_it_was_made_to(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("char-lstm")
    expect(node(page, "lstm")).to_be_visible()
    settled(page)
    expect(page.locator("#dataset")).to_have_value("chars")
    page.get_by_text("Dataset options").click()
    expect(page.locator("#field-seq_len")).to_have_value("64")
    expect(page.locator("#field-task")).to_have_value("sequence")
    expect(page.locator("#field-epochs")).to_have_value("4")

    page.get_by_test_id("preset-picker").select_option("toy-mlp")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    expect(page.locator("#dataset")).to_have_value("circle")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    expect(page.get_by_test_id("train-error")).to_have_count(0)
    page.screenshot(path="build/screenshots/preset-trained-as-loaded.png")


def test_an_imported_preset_file_brings_its_settings(page: Page, tmp_path: Path) -> None:
    open_playground(page)
    chosen = tmp_path / "perceptron.json"
    chosen.write_text((MODELS / "perceptron.json").read_text(encoding="utf-8"))
    page.get_by_label("Import a spec").set_input_files(str(chosen))
    expect(node(page, "out")).to_be_visible()
    settled(page)
    expect(page.locator("#dataset")).to_have_value("gaussians")
    expect(page.locator("#field-loss")).to_have_value("bce")
    assert json.loads(chosen.read_text())["training"]["loss"] == "bce"
