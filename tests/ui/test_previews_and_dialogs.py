"""Dataset previews, the code dialog, the palette's labels and notices that keep the
layout still, at the smallest screen served (1280x800), in both languages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import SCREENSHOTS, SHARED_MNIST
from tests.ui.test_playground import node, open_playground, set_field, settled, shared_url

pytestmark = pytest.mark.slow

#: A small valid network on a 2-D input (its code can be exported, it can train).
NETWORK = shared_url({"version": 1, "name": "Tiny", "input": {"shape": [2]},
                      "layers": [{"id": "out", "type": "dense", "units": 2}]})


def small_screen(page: Page, url: str = NETWORK, lang: str = "en") -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page, url)
    page.get_by_test_id("language").select_option(lang)
    settled(page)


def choose(page: Page, dataset: str) -> None:
    page.locator("#dataset").select_option(dataset)
    expect(page.get_by_test_id("dataset-preview")).to_be_visible()


def keep(page: Page, name: str) -> None:
    """A screenshot of the preview as shown, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"preview-{name}.png")


def colours(page: Page) -> set[str]:
    """The colours the scatter's dots are painted in."""
    return set(page.get_by_test_id("dataset-scatter").evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] !== 255) continue;
            const hex = [d[i], d[i + 1], d[i + 2]].map(v => v.toString(16).padStart(2, '0'));
            seen.add('#' + hex.join(''));
        }
        return [...seen];
    }"""))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_2d_set_shows_its_points_by_class_with_a_legend(
        page: Page, lang: str, record_property: pytest.RecordProperty) -> None:
    small_screen(page, lang=lang)
    choose(page, "spiral")
    scatter = page.get_by_test_id("dataset-scatter")
    expect(scatter).to_have_attribute("data-points", "500")  # of its 800 training points
    assert {"#2563eb", "#ea580c"} <= colours(page)  # both classes, each its colour
    legend = page.get_by_test_id("dataset-legend").locator("li")
    expect(legend).to_have_count(2)
    expect(legend.first).to_contain_text("0 (")
    shown = "500 of the 800 training points" if lang == "en" else "500 de los 800 puntos"
    expect(page.get_by_test_id("dataset-preview")).to_contain_text(shown)
    preview = page.get_by_test_id("dataset-preview").bounding_box()
    panel = page.locator(".inspector").bounding_box()
    assert preview and panel and preview["x"] + preview["width"] <= panel["x"] + panel["width"]
    keep(page, f"spiral-{lang}")
    named = legend.all_inner_texts()
    # with fewer points (its options say 300, 240 of them to train on) it shows them all
    options = "Dataset options" if lang == "en" else "Opciones del conjunto de datos"
    page.get_by_text(options).click()
    set_field(page, "n_samples", "300")
    expect(scatter).to_have_attribute("data-points", "240")
    everything = "All 240 training points" if lang == "en" else "Los 240 puntos de entrenamiento"
    expect(page.get_by_test_id("dataset-preview")).to_contain_text(everything)
    record_property("detail", f"{lang}: 500 of 800 points, legend {named}; all 240 of 240")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_text_and_images_show_as_text_and_named_pictures(page: Page, lang: str) -> None:
    small_screen(page, lang=lang)
    choose(page, "chars")
    first = page.get_by_test_id("dataset-preview").locator("figure").first
    expect(first.locator("code")).to_have_text("i↵↵from fairest creatures we des")
    expect(first.locator("figcaption")).to_have_text("i")
    keep(page, f"chars-{lang}")
    choose(page, "number-words")
    first = page.get_by_test_id("dataset-preview").locator("figure").first
    expect(first.locator("code")).to_have_text("seven thousand eight hundred and thirty five")
    expect(first.locator("figcaption")).to_have_text("7835")
    keep(page, f"number-words-{lang}")
    if not Path(os.environ.get("LAYERLAB_MNIST_DIR") or SHARED_MNIST).exists():
        return  # no digits on this machine: the images are left unchecked
    choose(page, "mnist-10k")
    figures = page.get_by_test_id("dataset-preview").locator("figure")
    expect(figures.locator("canvas.sample-image")).to_have_count(8)
    expect(figures.locator("figcaption").first).to_have_text("7")
    assert figures.locator("figcaption").all_inner_texts()[:3] == ["7", "2", "1"]
    keep(page, f"mnist-{lang}")


def focus_inside(page: Page) -> bool:
    return bool(page.evaluate(
        "() => !!document.activeElement && !!document.activeElement.closest('dialog[open]')"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_code_dialog_holds_focus_and_gives_it_back(page: Page, lang: str) -> None:
    small_screen(page, lang=lang)
    menu = page.get_by_test_id("export-menu")
    menu.locator("summary").click()
    menu.get_by_role("button").nth(1).click()  # the PyTorch code
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_accessible_name("PyTorch code" if lang == "en" else "Código PyTorch")
    expect(page.get_by_test_id("code")).to_contain_text("class")
    assert focus_inside(page), "the dialog did not take focus"
    keep(page, f"code-dialog-{lang}")
    for _ in range(6):  # round and round its controls, never out
        page.keyboard.press("Tab")
        assert focus_inside(page), "Tab left the dialog"
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        assert focus_inside(page), "Shift+Tab left the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(menu.locator("summary")).to_be_focused()


def clipped_palette_labels(page: Page) -> list[str]:
    assert page.locator(".palette-item").count() > 30
    return list(page.locator(".palette-item").evaluate_all(
        "items => items.filter(b => b.scrollWidth > b.clientWidth).map(b => b.textContent)"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_palette_button_fits_its_label(page: Page, lang: str,
                                             record_property: pytest.RecordProperty) -> None:
    small_screen(page, lang=lang)
    assert clipped_palette_labels(page) == []
    wide = page.locator(".palette-item").evaluate_all("items => items.length")
    page.get_by_test_id("lessons-toggle").click()  # the lessons narrow the palette
    expect(page.get_by_test_id("lessons")).to_be_visible()
    assert clipped_palette_labels(page) == []
    record_property("detail", f"{lang}: {wide} palette buttons, none clipped, lessons shut "
                              "or open")


def boxes(page: Page) -> list[dict[str, Any] | None]:
    return [page.get_by_test_id("canvas").bounding_box(),
            page.locator(".train-button").bounding_box(),
            page.locator(".training-panel").bounding_box()]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_notices_and_status_lines_leave_the_layout_still(page: Page, lang: str) -> None:
    small_screen(page, lang=lang)
    expect(node(page, "out")).to_be_visible()
    still = boxes(page)
    share = "Share" if lang == "en" else "Compartir"
    page.locator(".top-bar button").filter(has_text=share).click()
    expect(page.locator(".top-message")).to_be_visible()
    assert boxes(page) == still, "the share notice moved the layout"
    page.locator(".top-message").click()
    choose(page, "chars")  # a network that does not fit it: Train says why it waits
    expect(page.get_by_test_id("train-why")).to_be_visible()
    assert boxes(page)[:2] == still[:2], "the reason Train waits moved the canvas or Train"
    choose(page, "spiral")
    page.locator(".train-button").click()
    expect(page.get_by_test_id("run-status")).to_be_visible()
    still = boxes(page)  # the dock opened for the run; its lines change from here on
    expect(page.get_by_test_id("run-status")).to_have_text(
        "completed" if lang == "en" else "completada", timeout=120_000)
    assert boxes(page)[:2] == still[:2], "the run's status lines moved the canvas or Train"


#: A network whose input has too many dimensions: the status bar says why, at length.
TOO_DEEP = shared_url({"version": 1, "name": "Tiny", "input": {"shape": [2, 3, 4, 5, 6, 7]},
                       "layers": [{"id": "out", "type": "dense", "units": 2}]})


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_long_error_in_the_status_bar_leaves_the_canvas_still(page: Page, lang: str) -> None:
    small_screen(page, lang=lang)
    page.get_by_test_id("lessons-toggle").click()  # the narrowest canvas served
    expect(page.get_by_test_id("lessons")).to_be_visible()
    settled(page)
    still = boxes(page)[:2]
    page.goto("about:blank")  # a new page load (the link differs in its hash alone)
    small_screen(page, TOO_DEEP, lang)  # the lessons stay open
    expect(page.get_by_test_id("lessons")).to_be_visible()
    error = page.get_by_test_id("status-bar").locator(".error")
    expect(error).to_contain_text("at most 4 item(s)" if lang == "en" else "como máximo 4")
    assert boxes(page)[:2] == still, "the status bar's error moved the canvas"
    # all of it shown: its line grows upward over the canvas's edge
    assert error.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    line, bar = error.bounding_box(), page.get_by_test_id("status-bar").bounding_box()
    assert line and bar and line["y"] + line["height"] <= bar["y"] + bar["height"]
