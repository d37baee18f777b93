"""Points placed by hand: the "drawn" dataset's plane takes a click for a point of the
chosen class and a click on a point to remove it; too few points are called out; the
points train a network like any 2-D set, and its decision boundary is drawn over them.
The "drawn-curve" set's points, without classes, train a 1-D regression."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_playground, open_preset, painted, set_field, shared_url

pytestmark = pytest.mark.slow
SIDE = 220  # static/src/train/PointsEditor.tsx


def place(page: Page, points: list[tuple[float, float]]) -> None:
    """Click each (x, y) of the plane [-1, 1]² onto the editor."""
    canvas = page.get_by_test_id("points-canvas")
    for x, y in points:
        canvas.click(position={"x": (x + 1) / 2 * SIDE, "y": (1 - y) / 2 * SIDE})


def test_points_placed_by_hand_train_and_their_boundary_is_drawn(page: Page) -> None:
    open_preset(page, "toy-mlp", "hidden1", "drawn")
    editor = page.get_by_test_id("points-editor")
    expect(page.get_by_test_id("points-count")).to_have_text("8 points")  # an example
    editor.get_by_role("button", name="Clear").click()
    expect(editor.get_by_role("alert")).to_contain_text("at least 4 points")
    left = [(-0.8 + 0.1 * i, -0.6 + 0.13 * j) for i in range(3) for j in range(4)]
    place(page, left)  # class 0
    editor.get_by_role("button", name="class 1").click()
    place(page, [(-x, -y) for x, y in left])
    expect(page.get_by_test_id("points-count")).to_have_text("24 points")
    place(page, [left[0]])  # a click on a point removes it
    expect(page.get_by_test_id("points-count")).to_have_text("23 points")
    expect(editor.get_by_role("alert")).to_have_count(0)
    set_field(page, "epochs", "30")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    boundary = page.get_by_test_id("boundary")
    expect(boundary).to_be_visible(timeout=30_000)
    assert painted(boundary)
    page.get_by_test_id("language").select_option("es")
    expect(page.get_by_test_id("points-count")).to_have_text("23 puntos")
    expect(editor.get_by_role("button", name="clase 1")).to_be_visible()


CURVE_NET = {"version": 1, "name": "Curve fit", "input": {"shape": [1]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 1}]}


def test_points_of_a_curve_placed_by_hand_train_a_regression(page: Page) -> None:
    open_playground(page, shared_url(CURVE_NET, {"dataset": {"name": "drawn-curve"},
                                                 "epochs": 40, "batch_size": 8}))
    editor = page.get_by_test_id("points-editor")
    expect(page.get_by_test_id("points-count")).to_have_text("7 points")  # an example
    expect(editor.get_by_role("button", name="class 1")).to_have_count(0)  # no classes
    editor.get_by_role("button", name="Clear").click()
    expect(editor.get_by_role("alert")).to_have_text("Place at least 4 points to train.")
    place(page, [(x / 10, (x / 10) ** 2 - 0.5) for x in range(-9, 10, 2)])
    expect(page.get_by_test_id("points-count")).to_have_text("10 points")
    expect(editor.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    page.get_by_test_id("language").select_option("es")
    expect(editor).to_contain_text("Haz clic para añadir un punto de la curva")
