"""Sequence lessons in the browser: a forecaster's predictions beside the truth, and a
character LSTM that writes on from a prompt."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import inspect_view, train_preset

pytestmark = pytest.mark.slow


def test_a_forecaster_draws_its_predictions_beside_the_truth(page: Page) -> None:
    train_preset(page, "lstm-sequence", "lstm", "sine-forecast", 2, n_samples="500")
    inspect_view(page, "predictions")
    view = page.get_by_test_id("predictions-view")
    expect(view).to_contain_text("RMSE")
    expect(view.get_by_test_id("predictions-chart")).to_have_attribute("data-points", "200")


def test_a_character_lstm_writes_text(page: Page) -> None:
    train_preset(page, "char-lstm", "lstm", "chars", 1, seq_len="64", stride="64")
    inspect_view(page, "generate")
    view = page.get_by_test_id("generate-view")
    view.get_by_label("prompt").fill("ROMEO: ")
    view.get_by_label("length").fill("120")
    view.get_by_role("button", name="Generate").click()
    generated = view.get_by_test_id("generated")
    expect(generated).to_have_attribute("aria-busy", "false", timeout=30_000)  # all written
    text = generated.text_content() or ""
    assert text.startswith("ROMEO: ") and len(text) == len("ROMEO: ") + 120
    view.get_by_label("prompt").fill("caf\u00e9")
    view.get_by_role("button", name="Generate").click()
    expect(view.get_by_role("alert")).to_contain_text("not in the model's vocabulary")
