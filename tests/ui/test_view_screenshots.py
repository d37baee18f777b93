"""Every inspect view the guide describes (docs/views/), opened at 1280x800 on small runs
trained through the API, as a learner first sees it: each test fails when its view draws
nothing (an unpainted canvas, a missing text).

With LAYERLAB_DOCS_SCREENSHOTS=1 (`make screenshots`) each test also saves the Inspect
panel, cropped to it, as the guide's picture of that view: docs/screenshots/views/<view>.png.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_inspect_views import CHARS, CNN, DIGITS
from tests.ui.test_playground import inspect_view, open_playground, open_run, painted
from tests.ui.test_translation_views import scores_and_translates

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots" / "views"
TAKE_SCREENSHOTS = os.environ.get("LAYERLAB_DOCS_SCREENSHOTS") == "1"
SCREEN = {"width": 1280, "height": 800}
TRAINED = 300  # seconds a run may take to train on a loaded 2-core machine

MNIST = {"dataset": {"name": "mnist-10k"}}  # settings name their dataset, even over a preset's
# What each run trains: a network (a spec, or a preset by name) and settings laid over
# the preset's own. The presets beyond the digits CNN and the character transformer
# train one or two epochs: enough for their views to show what they are for.
# The unit view's network reads x, y and xy of each point of xor: 3-6-2, as TensorFlow
# Playground draws such a network.
UNITS_NET = {"input": {"shape": [3]}, "layers": [
    {"id": "hidden", "type": "dense", "units": 6, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2}]}
RUNS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "cnn": (CNN, DIGITS),
    "units": (UNITS_NET, {"dataset": {"name": "xor", "options": {
        "n_samples": 400, "features": ["x", "y", "x_times_y"]}}, "epochs": 20,
        "optimizer": {"name": "adam", "lr": 0.03}}),
    "transformer": ({"preset": "char-transformer"}, CHARS),  # its input cut to 16 below
    "forecaster": ({"preset": "lstm-sequence"}, {
        "dataset": {"name": "sine-forecast", "options": {"n_samples": 500}}, "epochs": 2}),
    "autoencoder": ({"preset": "mnist-autoencoder"}, {**MNIST, "epochs": 1}),
    "vae": ({"preset": "mnist-vae"}, {**MNIST, "epochs": 1}),
    "gan": ({"preset": "mnist-gan"}, {**MNIST, "epochs": 1}),
    "translator": ({"preset": "translation-transformer"}, {
        "dataset": {"name": "number-words", "options": {"train_size": 3000}}, "epochs": 2}),
}


@dataclass
class Trained:
    """The runs by their key in RUNS: each one's name and id, and the server's address."""

    server: str
    names: dict[str, str]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def trained(live_server: str) -> Iterator[Trained]:
    """Every run submitted at once (they queue on the server's workers); a test waits only
    for the run it looks at."""
    tag = uuid.uuid4().hex[:6]
    runs = Trained(live_server, {}, {})
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        for key, (model, training) in RUNS.items():
            if key == "transformer":
                model = http.get("/api/v1/presets/char-transformer").json()
                model["input"]["shape"] = [16]  # short enough to label every token
            name = f"{key} {tag}"
            created = http.post("/api/v1/runs", json={"name": name, "model": model,
                                                      "training": training})
            assert created.status_code == 201, created.text
            runs.names[key], runs.ids[key] = name, created.json()["id"]
    yield runs


def _open(page: Page, runs: Trained, key: str, tab: str) -> Locator:
    """The view `tab` of run `key`, trained to the end, at 1280x800."""
    with httpx2.Client(base_url=runs.server, timeout=30) as http:
        wait_for_status(http, runs.ids[key], {"completed"}, timeout=TRAINED)
    page.set_viewport_size(SCREEN)
    open_playground(page)
    open_run(page, runs.names[key])
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    inspect_view(page, tab)
    return page.locator("section.inspect")


def _shoot(page: Page, top: Locator, view: str, content: Locator | None = None) -> None:
    """The guide's picture of a view: the run's drawer dragged to its full height (80% of
    the window), scrolled to `top` and cropped to it, down to the end of `content` (what
    the view drew) or of the drawer."""
    if not TAKE_SCREENSHOTS:
        return
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drawer = page.locator("section.dash")
    drawer.evaluate("e => { e.style.height = '80vh'; }")  # as its resize handle does
    top.evaluate("e => e.scrollIntoView({block: 'start'})")
    shown, part = drawer.bounding_box(), top.bounding_box()
    end = (content or top).bounding_box()
    assert shown and part and end
    y = max(part["y"], shown["y"])
    bottom = min(shown["y"] + shown["height"], end["y"] + end["height"] + 8)
    page.screenshot(path=DOCS_SCREENSHOTS / f"{view}.png", animations="disabled", clip={
        "x": part["x"], "y": y, "width": part["width"], "height": bottom - y})


def test_activations_draw_the_input_every_layer_and_the_probabilities(
        page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "activations")
    view = panel.get_by_test_id("activations-view")
    expect(view.get_by_test_id("predicted-label")).to_have_text(
        re.compile(r"^predicted: \d \(\d+\.\d%\)$"))
    expect(view.get_by_test_id("probabilities").locator("tr")).to_have_count(10)
    assert painted(view.get_by_test_id("input-card").locator("canvas"))
    assert painted(view.get_by_test_id("layer-conv").locator("button.map[data-channel='0'] canvas"))
    _shoot(page, panel, "activations", view)
    view.get_by_role("button", name="open conv, channel 5").click()
    detail = view.get_by_test_id("channel-detail")
    expect(detail.get_by_test_id("made-from")).to_contain_text("Input channels read: 1")
    output = detail.locator(".channel-body > figure canvas")
    assert painted(output)
    box = output.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] * 3.5 / 8, box["y"] + box["height"] * 2.5 / 8)
    expect(detail.get_by_test_id("cell-value")).to_contain_text("row 2, column 3:")
    _shoot(page, detail, "activations-channel")


def test_units_draw_every_unit_over_the_plane(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "units", "units")
    view = panel.get_by_test_id("units-view")
    expect(view.locator(".unit-label")).to_have_text(["x", "y", "xy"])
    maps = view.locator(".unit canvas")
    expect(maps).to_have_count(3 + 6 + 2)
    assert all(painted(maps.nth(i)) for i in (2, 3, 10))
    expect(view.locator("line.edge")).to_have_count(3 * 6 + 6 * 2)
    view.get_by_test_id("unit-1-0").hover()
    expect(view.get_by_test_id("unit-bias")).to_have_text(re.compile(r"^bias -?\d"))
    _shoot(page, panel, "units", view)


def test_filters_draw_each_kernel(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "filters")
    kernels = panel.get_by_test_id("filters-view").locator(".maps canvas")
    expect(kernels).to_have_count(32)  # max_filters of the layer's 40
    assert painted(kernels.first)
    _shoot(page, panel, "filters", panel.get_by_test_id("filters-view"))


def test_saliency_draws_both_maps_over_the_input(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "saliency")
    maps = panel.get_by_test_id("saliency-view").locator("canvas")
    expect(maps).to_have_count(3)  # the overlay, gradient x input, integrated gradients
    assert all(painted(maps.nth(i)) for i in range(3))
    _shoot(page, panel, "saliency", panel.get_by_test_id("saliency-view"))


def test_confusion_opens_a_cell_on_its_samples(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "confusion")
    view = panel.get_by_test_id("confusion-view")
    expect(view.get_by_test_id("confusion-summary")).to_contain_text("samples of the test split")
    cells = view.locator("td button:not([disabled])")
    expect(cells.first).to_be_visible()
    counts = {cell.get_attribute("data-cell"): int(cell.inner_text()) for cell in cells.all()}
    wrong = [key for key in counts if key and key.split(",")[0] != key.split(",")[1]]
    chosen = max(wrong or counts, key=lambda key: counts[key])
    view.locator(f"td button[data-cell='{chosen}']").click()
    listed = view.get_by_test_id("cell-samples")
    expect(listed.locator("figure")).to_have_count(min(counts[chosen], 24))
    assert painted(listed.locator("canvas").first)
    _shoot(page, panel, "confusion", view)


def test_embedding_scatters_the_classes_with_a_legend(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "embedding")
    view = panel.get_by_test_id("embedding-view")
    expect(view.get_by_test_id("class-legend").locator("li")).to_have_count(10)
    expect(view).to_contain_text("principal components")
    assert painted(view.get_by_test_id("embedding-canvas"))
    _shoot(page, panel, "embedding", view)


def test_histograms_draw_weights_and_gradients_by_epoch(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "histograms")
    view = panel.get_by_test_id("histograms-view")
    expect(view.locator("figcaption").first).to_have_text(re.compile(r"^conv\."))
    expect(view.locator("figure").first.locator("rect").first).to_be_attached()
    expect(view).to_contain_text("gradients")
    _shoot(page, panel, "histograms", view)


def test_a_drawn_digit_is_predicted(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "draw a digit")
    view = panel.get_by_test_id("draw-view")
    pad = view.locator("canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    side = box["width"]
    # a seven: a bar across the top, then down to the bottom left
    stroke = [(0.25, 0.2), (0.75, 0.2), (0.6, 0.45), (0.45, 0.8)]
    page.mouse.move(box["x"] + side * stroke[0][0], box["y"] + side * stroke[0][1])
    page.mouse.down()
    for x, y in stroke[1:]:
        page.mouse.move(box["x"] + side * x, box["y"] + side * y, steps=8)
    page.mouse.up()
    expect(view.get_by_test_id("prediction").locator("li")).to_have_count(5)
    assert painted(pad)
    _shoot(page, panel, "draw", view)


def test_one_step_lists_every_parameter_with_its_gradient(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "cnn", "one step")
    view = panel.get_by_test_id("step-view")
    view.get_by_role("button", name="Take one step").click()
    expect(view.locator("tbody tr[data-layer]")).to_have_count(6)  # conv, pool, flat, out (2)
    expect(view.get_by_label("out bias gradient")).to_be_visible()
    _shoot(page, panel, "step", view)


def test_attention_draws_its_heads_and_lines(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "transformer", "attention")
    layer = panel.locator(".attention-layer").first
    expect(layer.get_by_test_id("query-labels").locator("span")).to_have_count(16)
    heads = layer.get_by_test_id("heads").get_by_role("button")
    assert heads.count() >= 3  # the average and every head
    assert painted(layer.locator(".attention-main canvas"))
    _shoot(page, panel, "attention", panel.get_by_test_id("attention-view"))
    panel.get_by_label("lines", exact=True).check()
    expect(layer.get_by_test_id("attention-lines").locator("line").first).to_be_attached()
    _shoot(page, layer, "attention-lines")


def test_generate_writes_the_asked_length(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "transformer", "generate")
    view = panel.get_by_test_id("generate-view")
    view.get_by_label("prompt").fill("ROMEO: ")
    view.get_by_label("length").fill("160")
    view.get_by_role("button", name="Generate").click()
    generated = view.get_by_test_id("generated")
    expect(generated).to_have_attribute("aria-busy", "false", timeout=60_000)
    assert len(generated.text_content() or "") == len("ROMEO: ") + 160
    _shoot(page, panel, "generate", view)


def test_predictions_chart_the_forecast_beside_the_truth(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "forecaster", "predictions")
    view = panel.get_by_test_id("predictions-view")
    expect(view).to_contain_text("RMSE")
    expect(view.get_by_test_id("predictions-chart")).not_to_have_attribute("data-points", "0")
    _shoot(page, panel, "predictions", view)


def test_reconstructions_pair_inputs_with_what_was_rebuilt(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "autoencoder", "reconstructions")
    view = panel.get_by_test_id("reconstructions-view")
    pairs = view.get_by_test_id("reconstruction-grid").get_by_test_id("reconstruction-pair")
    expect(pairs).to_have_count(16, timeout=30_000)
    assert painted(pairs.first.locator("canvas").nth(1))
    expect(view.get_by_test_id("error-histogram").locator("rect")).to_have_count(32)
    _shoot(page, panel, "reconstructions", view)


def test_the_latent_space_scatters_and_decodes_its_plane(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "vae", "latent space")
    view = panel.get_by_test_id("latent-view")
    expect(view.get_by_test_id("latent-scatter")).to_have_attribute("data-points", "1000")
    grid = view.get_by_test_id("latent-grid").locator("canvas")
    expect(grid).to_have_count(144)
    assert painted(view.get_by_test_id("latent-scatter"))
    _shoot(page, panel, "latent", view)


def test_a_gans_samples_show_beside_real_ones(page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "gan", "samples")
    view = panel.get_by_test_id("samples-view")
    generated = view.get_by_test_id("generated-samples").locator("canvas")
    expect(generated).to_have_count(64)
    view.get_by_label("show real samples").check()
    expect(view.get_by_test_id("real-samples").locator("canvas")).to_have_count(64)
    assert painted(generated.first)
    _shoot(page, panel, "samples", view)


def test_translate_scores_the_test_split_and_translates_a_number(
        page: Page, trained: Trained) -> None:
    panel = _open(page, trained, "translator", "translate")
    view = panel.get_by_test_id("translate-view")
    scores_and_translates(view)
    _shoot(page, panel, "translate", view)
