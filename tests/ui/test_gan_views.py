"""A GAN in the browser: its two players charted while it trains beside its newest
samples, then its sample grids scrubbed from the noise of step 0 to the end, with real
digits beside them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_preset, painted, set_field

pytestmark = pytest.mark.slow


def test_a_gan_trains_and_its_samples_scrub_by_step(page: Page) -> None:
    open_preset(page, "mnist-gan", "fake", "mnist-10k")
    expect(page.locator("#field-task")).to_have_value("gan")  # the preset's own task
    expect(page.get_by_test_id("gan-settings")).to_be_visible()
    mismatch = page.get_by_text("but the network takes 64")
    set_field(page, "task", "classification")
    expect(mismatch).to_be_visible()
    expect(page.get_by_test_id("gan-settings")).to_have_count(0)
    set_field(page, "task", "gan")
    expect(mismatch).to_have_count(0)  # a GAN's network reads noise, not digits
    expect(page.get_by_test_id("gan-settings")).to_be_visible()
    expect(page.locator("#field-optimizer-lr")).to_have_value("0.0002")  # DCGAN's Adam
    set_field(page, "epochs", "1")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    expect(page.get_by_test_id("gan-loss-chart")).not_to_have_attribute("data-points", "0")
    expect(page.get_by_test_id("gan-d-chart")).not_to_have_attribute("data-points", "0")
    live = page.get_by_test_id("live-samples-grid").locator("canvas")
    expect(live).to_have_count(64)
    assert painted(live.first)

    page.get_by_role("tab", name="Inspect").click()
    expect(page.get_by_role("tab", name="activations")).to_have_count(0)
    page.get_by_role("tab", name="samples").click()
    view = page.get_by_test_id("samples-view")
    expect(view.get_by_test_id("generated-samples").locator("canvas")).to_have_count(64)
    last = view.get_by_test_id("samples-step").inner_text()
    assert last != "step 0 · epoch 0"
    slider = view.get_by_label("step", exact=True)
    slider.press("Home")  # back to the noise the generator began with
    expect(view.get_by_test_id("samples-step")).to_have_text("step 0 · epoch 0")
    slider.press("End")
    expect(view.get_by_test_id("samples-step")).to_have_text(last)
    expect(view.get_by_test_id("real-samples")).to_have_count(0)
    view.get_by_label("show real samples").check()
    real = view.get_by_test_id("real-samples").locator("canvas")
    expect(real).to_have_count(64)
    assert painted(real.first)
