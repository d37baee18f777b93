"""An activation function and its derivative drawn in a real browser (1280x800): the
layer inspector charts the activation a layer names and redraws it when the activation
(or leaky ReLU's slope) changes, in either language; lesson 3 draws the activations it
compares."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.conftest import SCREENSHOTS
from tests.ui.test_playground import (
    drop_layer,
    node,
    open_lesson,
    open_playground,
    set_field,
    settled,
)

pytestmark = pytest.mark.slow


def points(path: str) -> list[tuple[float, float]]:
    """The vertices of an SVG path made of M and L commands."""
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", path)]


def peak_x(chart: Locator, curve: str) -> float:
    """Where a curve is highest (SVG y grows downward): the middle of the points drawn at
    the top, as several may round to the same height."""
    drawn = points(chart.get_by_test_id(curve).get_attribute("d") or "")
    top = min(y for _, y in drawn)
    at_top = [x for x, y in drawn if y == top]
    return sum(at_top) / len(at_top)


def x_axis_at_zero(chart: Locator) -> float:
    """The x of the vertical axis, drawn at x = 0."""
    return float(chart.locator(".activation-axes line").nth(1).get_attribute("x1") or "nan")


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def test_the_inspector_draws_the_chosen_activation_and_redraws_it(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    dense = drop_layer(page, "dense", 400, 200)
    node(page, dense).click()
    inspector = page.locator(".inspector-body")
    chart = inspector.get_by_test_id("activation-chart")
    expect(chart).to_have_count(0)  # a dense layer is linear until it names an activation

    set_field(page, "activation", "relu")
    expect(chart).to_have_attribute("data-activation", "relu")
    expect(chart).to_contain_text("relu and its derivative")
    expect(chart).to_contain_text("x (the input)")
    expect(chart).to_contain_text("f(x), f\u2032(x)")
    expect(chart.locator(".activation-legend")).to_contain_text("f(x) = relu(x)")
    expect(chart.locator(".activation-legend")).to_contain_text("f\u2032(x), its slope")
    relu = chart.get_by_test_id("curve-f").get_attribute("d")

    set_field(page, "activation", "sigmoid")
    expect(chart).to_have_attribute("data-activation", "sigmoid")
    assert chart.get_by_test_id("curve-f").get_attribute("d") != relu
    expect(chart.locator(".activation-legend")).to_contain_text("f(x) = sigmoid(x)")
    # the sigmoid's slope is highest at x = 0, where the vertical axis is drawn
    assert peak_x(chart, "curve-df") == pytest.approx(x_axis_at_zero(chart), abs=0.1)
    chart.scroll_into_view_if_needed()
    snap(page, "activation-chart-sigmoid-en")

    page.get_by_test_id("language").select_option("es")
    expect(chart).to_contain_text("sigmoid y su derivada")
    expect(chart).to_contain_text("x (la entrada)")
    expect(chart.locator(".activation-legend")).to_contain_text("f\u2032(x), su pendiente")
    expect(chart.locator(".activation-caption")).to_contain_text("autograd")

    set_field(page, "activation", "softmax")
    expect(chart).to_have_attribute("data-activation", "softmax")
    expect(chart.locator(".activation-caption")).to_contain_text("softmax([x, 0])")
    expect(chart.locator(".activation-caption")).to_contain_text("sigmoide(x)")
    set_field(page, "activation", "leaky_relu")
    expect(chart).to_have_attribute("data-activation", "leaky_relu")
    expect(chart.locator(".activation-caption")).to_contain_text("Pendiente 0.01 bajo cero")
    settled(page)
    chart.scroll_into_view_if_needed()
    snap(page, "activation-chart-leaky-relu-es")


def test_an_activation_layer_is_drawn_as_it_is_set(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    layer = drop_layer(page, "activation", 400, 200)
    node(page, layer).click()
    chart = page.locator(".inspector-body").get_by_test_id("activation-chart")
    expect(chart).to_have_attribute("data-activation", "relu")
    set_field(page, "activation", "tanh")
    expect(chart).to_have_attribute("data-activation", "tanh")
    assert peak_x(chart, "curve-df") == pytest.approx(x_axis_at_zero(chart), abs=0.1)

    # leaky ReLU is drawn with the slope the layer sets, asked of the server
    set_field(page, "activation", "leaky_relu")
    caption = chart.locator(".activation-caption")
    expect(caption).to_contain_text("Slope 0.01 below zero")
    default = chart.get_by_test_id("curve-f").get_attribute("d")
    set_field(page, "negative_slope", "0.2")
    expect(caption).to_contain_text("Slope 0.2 below zero, as the layer sets it")
    assert chart.get_by_test_id("curve-f").get_attribute("d") != default
    chart.scroll_into_view_if_needed()


def test_lesson_3_draws_the_activations_it_compares(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_lesson(page, "activations")
    section = page.get_by_test_id("lesson-activation-charts")
    expect(section).to_contain_text("The activation functions compared")
    expect(section).to_contain_text("Computed by PyTorch")  # said once for the three
    expect(section.locator(".activation-chart .activation-caption")).to_have_count(0)
    charts = section.get_by_test_id("activation-chart")
    expect(charts).to_have_count(3)
    assert [charts.nth(i).get_attribute("data-activation") for i in range(3)] == [
        "sigmoid", "tanh", "relu"]
    for i in range(3):
        expect(charts.nth(i).get_by_test_id("curve-f")).to_have_attribute("d", re.compile("^M"))
    section.scroll_into_view_if_needed()
    snap(page, "lesson-3-activation-charts-en")

    page.get_by_test_id("language").select_option("es")
    expect(section).to_contain_text("Las funciones de activación que se comparan")
    expect(charts.nth(1)).to_contain_text("tanh y su derivada")
    expect(charts).to_have_count(3)
    section.scroll_into_view_if_needed()
