"""One training step laid bare in the browser: forward per layer, the loss, each
parameter's gradient and update."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import inspect_view, train_preset

pytestmark = pytest.mark.slow


def test_one_step_of_the_toy_mlp_shows_gradients_and_updates(page: Page) -> None:
    train_preset(page, "toy-mlp", "hidden1", "xor", 2)
    inspect_view(page, "one step")
    view = page.get_by_test_id("step-view")
    view.get_by_label("batch size").fill("4")
    view.get_by_role("button", name="Take one step").click()
    expect(view.locator("tbody tr[data-layer]")).to_have_count(6)  # weight and bias x 3
    expect(view).to_contain_text("loss")
    expect(view).to_contain_text("Adam")
    gradient = view.get_by_label("out bias gradient")
    expect(gradient).to_be_visible()
    numbers = (gradient.text_content() or "").strip("[]").split(", ")
    assert len(numbers) == 2 and all(n.strip() for n in numbers)
    expect(view.get_by_label("hidden1 weight update")).to_be_visible()
    view.get_by_label("first sample").fill("100000")
    view.get_by_role("button", name="Take one step").click()
    expect(view.get_by_role("alert")).to_contain_text("do not fit")
