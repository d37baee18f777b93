"""A convolution's kernel set by hand in the layer inspector: a preset fills the grid,
a typed value changes one cell, and the spec (the shared link's) carries the kernel that
the server accepts."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import (
    connect,
    drop_layer,
    node,
    open_lesson,
    open_playground,
    set_field,
    settled,
)

pytestmark = pytest.mark.slow
LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]


def spec_in_url(page: Page) -> dict[str, Any]:
    """The network spec the page's link carries (base64url JSON in the hash)."""
    data = parse_qs(urlsplit(page.url).fragment)["spec"][0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    spec: dict[str, Any] = json.loads(raw)
    return spec


def conv_layer(page: Page, layer_id: str) -> dict[str, Any]:
    return next(layer for layer in spec_in_url(page)["layers"] if layer["id"] == layer_id)


def cell(page: Page, row: int, col: int) -> Any:
    return page.get_by_label(f"kernel value: filter 1, channel 1, row {row}, column {col}")


def one_filter_conv(page: Page, input_shape: str) -> str:
    """A fresh playground whose input is `input_shape`, read by a new conv2d of one
    filter, selected in the inspector; the conv's id."""
    open_playground(page)
    node(page, "input").click()
    page.locator("#input-shape").fill(input_shape)
    page.locator("#input-shape").press("Tab")
    conv = drop_layer(page, "conv2d", 400, 150)
    connect(page, "input", conv)
    node(page, conv).click()
    set_field(page, "filters", "1")
    return conv


def test_a_laplacian_kernel_set_in_the_grid_is_in_the_spec(page: Page) -> None:
    conv = one_filter_conv(page, "1, 7, 7")
    editor = page.get_by_test_id("kernel-editor")
    expect(editor).to_contain_text("starts from random values")
    editor.get_by_label("Preset…").select_option("laplacian")
    expect(cell(page, 2, 2)).to_have_value("-4")
    expect(page.locator("#field-kernel_size")).to_have_value("3")  # the size stays as it was
    settled(page)
    assert conv_layer(page, conv)["weights"] == {"kernel": LAPLACIAN}
    expect(node(page, conv).locator(".layer-error")).to_have_count(0)  # the server took it
    expect(node(page, conv)).to_contain_text("5\u00d75")

    cell(page, 2, 2).fill("-8")
    cell(page, 2, 2).press("Enter")
    settled(page)
    assert conv_layer(page, conv)["weights"]["kernel"][1] == [1, -8, 1]

    page.get_by_role("button", name="Random start").click()
    settled(page)
    assert "weights" not in conv_layer(page, conv)
    expect(editor).to_contain_text("starts from random values")

    set_field(page, "kernel_size", "5")  # Laplacian is 3x3: picking it sets the size back
    expect(page.get_by_label("kernel value: filter 1, channel 1, row 5, column 5")).to_be_visible()
    editor.get_by_label("Preset…").select_option("laplacian")
    expect(page.locator("#field-kernel_size")).to_have_value("3")
    settled(page)
    assert conv_layer(page, conv)["weights"] == {"kernel": LAPLACIAN}
    expect(node(page, conv).locator(".layer-error")).to_have_count(0)
    editor.scroll_into_view_if_needed()  # for the screenshot


def test_a_kernel_of_several_channels_is_one_grid_per_channel(page: Page) -> None:
    conv = one_filter_conv(page, "2, 7, 7")
    settled(page)
    page.get_by_test_id("kernel-editor").get_by_label("Preset…").select_option("sobelX")
    settled(page)
    sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert conv_layer(page, conv)["weights"] == {"kernel": [[sobel, sobel]]}
    second = page.get_by_label("kernel value: filter 1, channel 2, row 2, column 1")
    expect(second).to_have_value("-2")
    expect(node(page, conv).locator(".layer-error")).to_have_count(0)


def test_the_lesson_s_kernel_by_hand_opens_in_the_grid_and_its_claim_holds(page: Page) -> None:
    open_lesson(page, "convolution-arithmetic")
    by_hand = page.get_by_test_id("experiment-by-hand")
    expect(by_hand).to_contain_text("A 3\u00d73 kernel on a 7\u00d77 image, by hand")
    # worked on the real layer, no run needed: the 5x5 map of the X
    claims = by_hand.get_by_test_id("claims")
    expect(claims).to_contain_text("conv's feature map")
    expect(claims.locator("[data-holds=holds]")).to_have_count(1)
    by_hand.get_by_role("button", name="Apply").click()
    settled(page)
    node(page, "conv").click()
    x_kernel = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    for row in range(3):
        for col in range(3):
            expect(cell(page, row + 1, col + 1)).to_have_value(str(x_kernel[row][col]))
    assert conv_layer(page, "conv")["weights"]["kernel"] == x_kernel
    page.get_by_test_id("kernel-editor").scroll_into_view_if_needed()  # for the screenshot
