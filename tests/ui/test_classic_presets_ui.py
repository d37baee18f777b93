"""The ImageNet classics load into the editor, every layer on the canvas and the status
bar totalling them; one too big to train on this server says so, in either language,
naming on hover the setting to raise."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.test_playground import node, open_playground


def test_vgg16_is_shown_and_told_too_big_to_train_here(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("vgg16")
    expect(page.locator(".react-flow__node")).to_have_count(1 + 24)  # the input and its layers
    bar = page.get_by_test_id("status-bar")
    expect(bar).to_contain_text("138.4M params")
    expect(bar).to_contain_text("output 1000")
    verdict = page.get_by_test_id("not-trainable")
    expect(verdict).to_contain_text("too big to train on this server")
    expect(verdict).to_have_attribute("title", re.compile(r"138,357,544 parameters.*"
                                                          r"LAYERLAB_LIMITS__MAX_PARAMS"))
    page.get_by_test_id("language").select_option("es")
    expect(verdict).to_contain_text("demasiado grande para entrenarla")


def test_googlenet_is_shown_and_trainable_here(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("googlenet")
    expect(node(page, "inception5b")).to_have_count(1)
    expect(page.locator(".react-flow__node")).to_have_count(1 + 196)
    expect(page.get_by_test_id("status-bar")).to_contain_text("6.6M params")
    expect(page.get_by_test_id("not-trainable")).to_have_count(0)
