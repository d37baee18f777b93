"""A VAE in the browser: its two loss terms charted while it trains, then its latent
space: the test digits scattered by label, the decoded latent plane and an
interpolation between two digits."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import inspect_view, open_preset, set_field

pytestmark = pytest.mark.slow


def test_a_vae_trains_and_shows_its_latent_space(page: Page) -> None:
    open_preset(page, "mnist-vae", "z", "mnist-10k")
    set_field(page, "task", "vae")
    set_field(page, "loss", "bce")
    set_field(page, "epochs", "1")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    expect(page.get_by_test_id("terms-chart")).not_to_have_attribute("data-points", "0")

    inspect_view(page, "latent space")
    view = page.get_by_test_id("latent-view")
    expect(view.get_by_test_id("latent-scatter")).to_have_attribute("data-points", "1000")
    expect(view.get_by_test_id("latent-grid").locator("canvas")).to_have_count(144)
    view.get_by_label("to sample").fill("7")
    view.get_by_role("button", name="Interpolate").click()
    expect(view.get_by_test_id("interpolation").locator("canvas")).to_have_count(10)
