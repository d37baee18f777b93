"""The top bar and the canvas tools in a real browser: at the smallest screen served
(1280x800) the bar is one row in either language; Export gives the spec as a JSON file
and the network as PyTorch code; undo, redo and auto-layout act from the canvas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import connect, drop_layer, node, open_playground

pytestmark = pytest.mark.slow

ONE_ROW = """bar => {  // every shown item overlaps every other vertically: one row
    const inRow = (e) => e.offsetParent !== null && getComputedStyle(e).position !== "absolute";
    const boxes = [...bar.children].filter(inRow)  // notices lie over the page, under the bar
        .map((e) => e.getBoundingClientRect());
    return Math.max(...boxes.map((b) => b.top)) < Math.min(...boxes.map((b) => b.bottom));
}"""


def test_the_top_bar_is_one_row_at_1280_in_either_language(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("lenet5")
    expect(node(page, "conv1")).to_be_visible()
    bar = page.locator("header.top-bar")
    assert bar.evaluate(ONE_ROW)
    page.get_by_test_id("language").select_option("es")
    expect(page.get_by_role("button", name="Entrenar")).to_be_visible()
    assert bar.evaluate(ONE_ROW)


def test_export_gives_the_spec_and_the_pytorch_code(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("lenet5")
    expect(node(page, "conv1")).to_be_visible()
    menu = page.get_by_test_id("export-menu")
    menu.get_by_text("Export", exact=True).click()
    with page.expect_download() as download:
        menu.get_by_role("button", name="Network and training settings (JSON)").click()
    assert download.value.suggested_filename == "lenet-5.json"
    project = Path(download.value.path())
    spec = json.loads(project.read_text())
    assert spec["name"] == "LeNet-5"
    assert [layer["id"] for layer in spec["layers"]][:2] == ["conv1", "pool1"]
    assert spec["training"]["dataset"]["name"] == "mnist-10k"  # a project file: both
    expect(menu).not_to_have_attribute("open", "")  # a choice closes the menu
    page.locator("#dataset").select_option("circle")
    page.get_by_label("Import a spec").set_input_files(str(project))  # Import reads it back
    expect(page.locator("#dataset")).to_have_value("mnist-10k")
    expect(node(page, "conv1")).to_be_visible()

    menu.get_by_text("Export", exact=True).click()
    page.locator(".canvas").click(position={"x": 20, "y": 300})  # a click elsewhere closes it
    expect(menu).not_to_have_attribute("open", "")
    menu.get_by_text("Export", exact=True).click()
    menu.get_by_role("button", name="PyTorch code").click()
    code = page.get_by_test_id("code")
    expect(code).to_contain_text("nn.Conv2d")
    with page.expect_download() as download:
        page.get_by_role("dialog").get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "lenet-5.py"
    assert "nn.Module" in Path(download.value.path()).read_text()
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_undo_redo_and_auto_layout_from_the_canvas(page: Page) -> None:
    open_playground(page)
    tools = page.get_by_role("toolbar", name="Edit")
    undo, redo = tools.get_by_role("button", name="Undo"), tools.get_by_role("button", name="Redo")
    expect(undo).to_be_disabled()
    dense = drop_layer(page, "dense", 60, 320)  # left of the input
    undo.click()
    expect(node(page, dense)).to_have_count(0)
    redo.click()
    expect(node(page, dense)).to_have_count(1)
    connect(page, "input", dense)
    source, target = node(page, "input").bounding_box(), node(page, dense).bounding_box()
    assert source and target and target["x"] < source["x"]
    tools.get_by_role("button", name="Auto-layout").click()
    expect(node(page, dense)).to_be_visible()
    page.wait_for_function(
        """([a, b]) => {
            const box = (id) => document.querySelector(`.react-flow__node[data-id='${id}']`)
                .getBoundingClientRect();
            return box(b).left > box(a).right;  // arranged left to right
        }""", arg=["input", dense])
