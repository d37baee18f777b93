"""A translator in the browser: the number-words samples read as words and digits; the
translation-transformer preset trained on them draws its decoder's cross-attention with
target tokens down the rows and source words across the columns, and translates a
number typed by hand."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.test_playground import inspect_view, open_preset, painted, set_field

pytestmark = pytest.mark.slow


def scores_and_translates(view: Locator) -> None:
    """The translate view of a trained number-words run: its test split scored, and a
    number typed in words translated to four digits."""
    expect(view.get_by_test_id("translate-test")).to_contain_text("exactly right")
    view.get_by_label("source").fill("two thousand and seven")
    view.get_by_role("button", name="Translate").click()
    expect(view.get_by_test_id("translation")).to_contain_text(
        re.compile(r"“two thousand and seven” → \d{4}"))


def test_a_translator_draws_its_cross_attention_and_translates(page: Page) -> None:
    open_preset(page, "translation-transformer", "decoder", "number-words")
    preview = page.get_by_test_id("dataset-preview").locator("figure").first
    expect(preview.locator("code")).to_contain_text("seven thousand eight hundred and")
    expect(preview.locator("figcaption")).to_have_text("7835")  # its four target digits
    page.get_by_text("Dataset options").click()
    set_field(page, "train_size", "3000")
    set_field(page, "epochs", "2")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    inspect_view(page, "attention")
    view = page.get_by_test_id("attention-view")
    cross = view.get_by_test_id("attention-decoder-cross")
    expect(cross).to_be_visible(timeout=30_000)
    expect(cross).to_contain_text("cross-attention")
    rows = cross.get_by_test_id("query-labels").locator("span")
    columns = cross.get_by_test_id("key-labels").locator("span")
    expect(rows).to_have_count(4)
    expect(columns).to_have_count(7)
    expect(rows.first).to_have_text("<s>")  # the decoder starts from the start token
    assert all(re.fullmatch(r"<s>|\d", text) for text in rows.all_text_contents())
    words = [w for w in columns.all_text_contents() if w != "<pad>"]
    assert words and all(re.fullmatch(r"[a-z]+", w) for w in words)
    assert painted(cross.locator(".attention-main canvas"))
    masked = view.get_by_test_id("attention-decoder-self")
    expect(masked.get_by_test_id("key-labels").locator("span")).to_have_count(4)
    expect(view.get_by_test_id("attention-encoder-self")
           .get_by_test_id("key-labels").locator("span")).to_have_count(7)

    inspect_view(page, "translate")
    translator = page.get_by_test_id("translate-view")
    scores_and_translates(translator)
    translator.get_by_label("source").fill("a dozen")
    translator.get_by_role("button", name="Translate").click()
    expect(translator.get_by_role("alert")).to_contain_text("not in the model's vocabulary")
