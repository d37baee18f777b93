"""An autoencoder in the browser: its reconstructions beside the inputs, the histogram
of the per-sample errors and the samples it rebuilds worst."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_preset, painted, set_field

pytestmark = pytest.mark.slow


def test_an_autoencoder_shows_its_reconstructions_and_errors(page: Page) -> None:
    open_preset(page, "mnist-autoencoder", "code", "mnist-10k")
    set_field(page, "task", "reconstruction")
    set_field(page, "epochs", "1")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    page.get_by_role("tab", name="Inspect").click()
    expect(page.get_by_role("tab", name="confusion")).to_have_count(0)  # not a classifier
    page.get_by_role("tab", name="reconstructions").click()
    view = page.get_by_test_id("reconstructions-view")
    grid = view.get_by_test_id("reconstruction-grid")
    expect(grid.get_by_test_id("reconstruction-pair")).to_have_count(16, timeout=30_000)
    pictures = grid.locator("canvas")
    expect(pictures).to_have_count(32)  # each input above its reconstruction
    assert all(painted(pictures.nth(i)) for i in range(4))
    expect(view.get_by_test_id("mean-error")).to_contain_text("over 2000 test samples")
    expect(view.get_by_test_id("error-histogram").locator("rect")).to_have_count(32)
    worst = view.get_by_test_id("worst-reconstructions")
    expect(worst.get_by_test_id("reconstruction-pair")).to_have_count(8)
    assert painted(worst.locator("canvas").first) and painted(worst.locator("canvas").nth(1))
    errors = [float(text.split("\u00b7")[1]) for text in
              worst.locator("figcaption").all_inner_texts()]
    assert errors == sorted(errors, reverse=True) and errors[0] > 0
    view.get_by_label("split").select_option("val")
    expect(view.get_by_test_id("mean-error")).to_contain_text("validation samples", timeout=30_000)
    expect(grid.get_by_test_id("reconstruction-pair")).to_have_count(16)
