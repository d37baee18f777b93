"""Errors a person reads: a broken layer keeps the shapes around it, a dead end says so,
messages use the UI's words in English and Spanish, a notice goes once its cause is
fixed, and a disabled Train button says why."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import node, open_playground, set_field, settled, shared_url

pytestmark = pytest.mark.slow

TIMES = "\u00d7"  # the multiplication sign that shapes are written with
CNN: dict[str, Any] = {"version": 1, "name": "Digits CNN", "input": {"shape": [1, 28, 28]},
                       "layers": [
                           {"id": "conv1", "type": "conv2d", "filters": 32, "kernel_size": 5},
                           {"id": "pool1", "type": "maxpool2d", "pool_size": 2},
                           {"id": "flat", "type": "flatten"},
                           {"id": "out", "type": "dense", "units": 10},
                       ]}
MLP: dict[str, Any] = {"version": 1, "name": "Small MLP", "input": {"shape": [2]}, "layers": [
    {"id": "h1", "type": "dense", "units": 8},
    {"id": "h2", "type": "dense", "units": 8},
    {"id": "out", "type": "dense", "units": 2},
]}


def language(page: Page, lang: str) -> None:
    page.get_by_test_id("language").select_option(lang)


def train_button(page: Page) -> Any:
    return page.locator(".train-button")


def test_a_wrong_setting_keeps_the_shapes_before_it_in_the_uis_words(page: Page) -> None:
    open_playground(page, shared_url(CNN))
    conv = node(page, "conv1")
    expect(conv.locator(".layer-shape")).to_contain_text(f"32{TIMES}24{TIMES}24")
    node(page, "pool1").click()
    set_field(page, "pool_size", "two")
    error = node(page, "pool1").locator(".layer-error")
    expect(error).to_contain_text("pool_size: must be a whole number")
    expect(error).not_to_contain_text("Input should be")
    expect(page.locator(".field.invalid .error")).to_have_text("must be a whole number")
    # the layer before it keeps its shape and parameters; the ones after it have none
    expect(conv.locator(".layer-shape")).to_contain_text(f"32{TIMES}24{TIMES}24")
    expect(conv).to_contain_text("832 params")
    expect(node(page, "out").locator(".layer-shape")).to_have_count(0)
    expect(train_button(page)).to_be_disabled()
    expect(page.get_by_test_id("train-why")).to_have_text("Fix the error on pool1 first")
    expect(train_button(page)).to_have_attribute("title", "Fix the error on pool1 first")
    expect(train_button(page)).to_have_attribute("aria-describedby", "train-why")
    language(page, "es")
    expect(error).to_contain_text("pool_size: debe ser un número entero")
    expect(page.get_by_test_id("train-why")).to_have_text("Corrige primero el error en pool1")
    expect(conv.locator(".layer-shape")).to_contain_text(f"32{TIMES}24{TIMES}24")
    language(page, "en")
    set_field(page, "pool_size", "2")
    expect(error).to_have_count(0)
    expect(node(page, "out").locator(".layer-shape")).to_contain_text("10")
    expect(page.get_by_test_id("train-why")).to_have_count(0)


def test_a_shape_mismatch_shows_the_shapes_as_people_write_them(page: Page) -> None:
    spec = {"version": 1, "name": "Two branches", "input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "a", "type": "conv2d", "filters": 32, "kernel_size": 5},
        {"id": "b", "type": "conv2d", "filters": 16, "kernel_size": 5, "inputs": ["input"]},
        {"id": "sum", "type": "add", "inputs": ["a", "b"]},
    ]}
    open_playground(page, shared_url(spec))
    error = node(page, "sum").locator(".layer-error")
    expect(error).to_contain_text(f"'a' (32{TIMES}24{TIMES}24) and 'b' (16{TIMES}24{TIMES}24) must")
    expect(error).not_to_contain_text("(32, 24, 24)")
    expect(node(page, "b").locator(".layer-shape")).to_contain_text(f"16{TIMES}24{TIMES}24")
    language(page, "es")
    expect(error).to_contain_text(f"las formas de 'a' (32{TIMES}24{TIMES}24) y 'b' (16{TIMES}24")


def test_a_layer_cut_off_from_the_output_is_marked(page: Page) -> None:
    open_playground(page, shared_url(MLP))
    settled(page)
    edge = page.locator(".react-flow__edge[data-id='h1->h2']")
    edge.locator("path").first.click(force=True)
    page.keyboard.press("Delete")
    expect(edge).to_have_count(0)
    h1 = node(page, "h1")
    expect(h1.locator(".layer-node")).to_have_class("layer-node disconnected")
    expect(h1).to_contain_text("not connected to the output")
    expect(h1.locator(".layer-shape")).to_contain_text("8")  # still measured
    expect(node(page, "out").locator(".layer-error")).to_contain_text(
        "its input 'h2' is not connected")
    language(page, "es")
    expect(h1).to_contain_text("no conectada a la salida")
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    expect(edge).to_have_count(1)
    expect(h1.locator(".layer-disconnected")).to_have_count(0)


def test_an_export_refused_is_cleared_by_the_fix_and_can_be_dismissed(page: Page) -> None:
    broken = {**MLP, "layers": [{**MLP["layers"][0], "units": 0}, *MLP["layers"][1:]]}
    open_playground(page, shared_url(broken))
    settled(page)
    notice = page.get_by_test_id("top-message")

    def export_code() -> None:
        page.get_by_test_id("export-menu").locator("summary").click()
        page.get_by_role("button", name="PyTorch code").click()

    export_code()
    expect(notice).to_contain_text("Fix the network first: h1.units: must be at least 1")
    node(page, "h1").click()
    set_field(page, "units", "8")
    expect(notice).to_have_count(0)  # fixed: the notice goes by itself
    set_field(page, "units", "0")
    settled(page)
    export_code()
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)


def test_a_disabled_train_button_says_why(page: Page) -> None:
    open_playground(page)
    why = page.get_by_test_id("train-why")
    expect(train_button(page)).to_be_disabled()
    expect(why).to_have_text("Add a layer first")
    five = {**MLP, "input": {"shape": [5]}}
    training = {"dataset": {"name": "circle", "options": {}}, "task": "classification"}
    open_playground(page, shared_url(five, training))
    page.reload()  # a new link in the same tab changes only the hash: load it
    expect(why).to_have_text("The dataset's samples are 2, the network takes 5: "
                             "change the input or the dataset")
    expect(train_button(page)).to_be_disabled()
    language(page, "es")
    expect(why).to_contain_text("Las muestras del conjunto de datos son 2, la red recibe 5")
