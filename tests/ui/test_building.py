"""Building a network the way a newcomer expects, in a real browser (1280x800): a layer
dropped from the palette joins the network like Enter does (after the selected layer, or
into the edge it lands on); a dense layer gets ReLU as a hidden layer and stays linear as
the output layer, which the inspector explains in either language; a layer added after
one with a single successor goes between the two; deleting a middle layer joins its
neighbours, and one undo brings the layer and its edges back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.test_playground import drop_layer, node, open_playground, select, set_field, settled

pytestmark = pytest.mark.slow


def edge(page: Page, source: str, target: str) -> Locator:
    return page.locator(f".react-flow__edge[data-id='{source}->{target}']")


def drop_on_edge(page: Page, layer: str, source: str, target: str) -> str:
    """Drop a palette entry on the middle of the edge source -> target; returns its id."""
    settled(page)
    middle = edge(page, source, target).locator("path.react-flow__edge-path").evaluate(
        """path => {
            const p = path.getPointAtLength(path.getTotalLength() / 2);
            const m = path.getScreenCTM();
            return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
        }""")
    box = page.get_by_test_id("canvas").bounding_box()
    assert box
    return drop_layer(page, layer, middle["x"] - box["x"], middle["y"] - box["y"])


def test_dropped_layers_join_the_network_and_dense_layers_get_a_fitting_activation(
        page: Page) -> None:
    open_playground(page)
    note = page.get_by_test_id("activation-note")
    first = drop_layer(page, "dense", 400, 150)  # nothing selected: after the input
    expect(edge(page, "input", first)).to_have_count(1)
    set_field(page, "units", "8")
    expect(page.locator("#field-activation")).to_have_value("")  # the output layer: logits
    expect(note).to_have_text("Output layer: no activation, the loss reads the logits.")
    second = drop_layer(page, "dense", 650, 400)  # after the selected layer
    expect(edge(page, first, second)).to_have_count(1)
    expect(page.locator("#field-activation")).to_have_value("")
    # the first layer gained a successor; its activation stays what it was, and says so
    node(page, first).click()
    expect(page.locator("#field-activation")).to_have_value("")
    expect(note).to_contain_text("one linear map")
    # onto an edge: the edge is replaced by two, and the layer is hidden, so ReLU
    middle = drop_on_edge(page, "dense", "input", first)
    expect(edge(page, "input", middle)).to_have_count(1)
    expect(edge(page, middle, first)).to_have_count(1)
    expect(edge(page, "input", first)).to_have_count(0)
    expect(page.locator("#field-activation")).to_have_value("relu")
    expect(note).to_have_count(0)
    node(page, second).click()
    page.get_by_test_id("language").select_option("es")
    expect(note).to_have_text("Capa de salida: sin activación, la pérdida lee los logits.")
    # an activation layer after a dense layer brings the non-linearity itself
    act = drop_layer(page, "activation", 300, 550)  # after the selected output layer
    expect(edge(page, second, act)).to_have_count(1)
    node(page, second).click()
    expect(note).to_have_count(0)
    before_act = drop_on_edge(page, "dense", second, act)
    expect(edge(page, before_act, act)).to_have_count(1)
    expect(page.locator("#field-activation")).to_have_value("")


def overlap(a: Locator, b: Locator) -> bool:
    r, s = a.bounding_box(), b.bounding_box()
    assert r and s
    return (min(r["x"] + r["width"], s["x"] + s["width"]) > max(r["x"], s["x"])
            and min(r["y"] + r["height"], s["y"] + s["height"]) > max(r["y"], s["y"]))


def test_a_layer_added_after_one_with_a_single_successor_goes_between_them(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("toy-mlp")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    # Enter on a palette entry, the middle layer selected: between it and its successor,
    # which moves along to make room
    node(page, "hidden1").click()
    page.get_by_test_id("palette-dropout").press("Enter")
    expect(node(page, "dropout1")).to_have_count(1)
    expect(edge(page, "hidden1", "dropout1")).to_have_count(1)
    expect(edge(page, "dropout1", "hidden2")).to_have_count(1)
    expect(edge(page, "hidden1", "hidden2")).to_have_count(0)
    assert not overlap(node(page, "dropout1"), node(page, "hidden2"))
    assert not overlap(node(page, "hidden2"), node(page, "out"))
    # a drop, the new layer selected: between it and hidden2 as well
    added = drop_layer(page, "dense", 300, 560)
    expect(edge(page, "dropout1", added)).to_have_count(1)
    expect(edge(page, added, "hidden2")).to_have_count(1)
    expect(edge(page, "dropout1", "hidden2")).to_have_count(0)
    expect(page.locator("#field-activation")).to_have_value("relu")  # a hidden layer
    # after a layer with two successors: a side branch, as before
    page.get_by_test_id("preset-picker").select_option("residual-cnn")
    expect(node(page, "b1_add")).to_be_visible()
    settled(page)
    successors = page.locator(".react-flow__edge[data-id^='stem_relu->']").count()
    assert successors == 2
    node(page, "stem_relu").click()
    page.get_by_test_id("palette-dropout").press("Enter")
    expect(edge(page, "stem_relu", "dropout1")).to_have_count(1)
    expect(page.locator(".react-flow__edge[data-id^='dropout1->']")).to_have_count(0)
    expect(page.locator(".react-flow__edge[data-id^='stem_relu->']")).to_have_count(3)


def test_deleting_a_middle_layer_joins_its_neighbours_and_one_undo_restores_it(
        page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("toy-mlp")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    select(page, "hidden1")
    page.keyboard.press("Delete")
    expect(node(page, "hidden1")).to_have_count(0)
    expect(edge(page, "input", "hidden2")).to_have_count(1)
    expect(node(page, "hidden2").locator(".layer-error")).to_have_count(0)
    page.keyboard.press("Control+z")  # one step: the layer and both its edges
    expect(node(page, "hidden1")).to_have_count(1)
    expect(edge(page, "input", "hidden1")).to_have_count(1)
    expect(edge(page, "hidden1", "hidden2")).to_have_count(1)
    expect(edge(page, "input", "hidden2")).to_have_count(0)
    page.keyboard.press("Control+y")
    expect(node(page, "hidden1")).to_have_count(0)
    expect(edge(page, "input", "hidden2")).to_have_count(1)


def test_a_layer_whose_input_would_not_fit_is_left_unconnected(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("lenet5")
    expect(node(page, "flatten")).to_be_visible()
    settled(page)
    select(page, "flatten")
    page.keyboard.press("Delete")  # feature maps would not fit a dense layer
    expect(node(page, "flatten")).to_have_count(0)
    expect(edge(page, "pool2", "fc1")).to_have_count(0)
    expect(node(page, "fc1").locator(".layer-error")).to_contain_text("not connected")
