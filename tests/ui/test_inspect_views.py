"""The inspect views as a learner reads them, on runs trained through the API: a CNN on
the 8x8 digits (40 filters: more than a page) and a character transformer with token
labels. Each test fails without the part of the view it names."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import inspect_view, open_playground, open_run, painted

pytestmark = pytest.mark.slow
CNN: dict[str, Any] = {
    "input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": 40, "kernel_size": 3, "padding": "same",
         "activation": "relu"},
        {"id": "pool", "type": "maxpool2d", "pool_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 10}]}
DIGITS = {"dataset": {"name": "digits", "options": {"layout": "image"}}, "epochs": 2,
          "batch_size": 64, "validation_split": 0.0, "optimizer": {"name": "adam", "lr": 0.01}}
CHARS = {"dataset": {"name": "chars", "options": {"seq_len": 16, "stride": 16}}, "epochs": 1,
         "batch_size": 64}


@dataclass
class Runs:
    cnn: str  # the runs' names
    transformer: str


@pytest.fixture(scope="module")
def runs(live_server: str) -> Iterator[Runs]:
    tag = uuid.uuid4().hex[:6]
    names = Runs(cnn=f"digits cnn {tag}", transformer=f"chars transformer {tag}")
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        transformer = http.get("/api/v1/presets/char-transformer").json()
        transformer["input"]["shape"] = [16]  # short enough to label every token
        ids = []
        for name, model, training in ((names.cnn, CNN, DIGITS),
                                      (names.transformer, transformer, CHARS)):
            created = http.post("/api/v1/runs", json={"name": name, "model": model,
                                                      "training": training})
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        for run_id in ids:
            wait_for_status(http, run_id, {"completed"}, timeout=180)
    yield names


def _open(page: Page, name: str, view: str) -> Locator:
    open_playground(page)
    open_run(page, name)
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    inspect_view(page, view)
    return page.get_by_test_id(f"{view.split()[0]}-view")


def test_activations_show_the_input_its_labels_every_channel_and_the_prediction(
        page: Page, runs: Runs) -> None:
    view = _open(page, runs.cnn, "activations")
    card = view.get_by_test_id("input-card")
    expect(card.get_by_test_id("true-label")).to_have_text(re.compile(r"^true: \d$"))
    expect(card.get_by_test_id("predicted-label")).to_have_text(
        re.compile(r"^predicted: \d \(\d+\.\d%\)$"))
    assert painted(card.locator("canvas"))
    bars = view.get_by_test_id("probabilities").locator("tr")
    expect(bars).to_have_count(10)  # one per class, named
    expect(bars.locator("th")).to_have_text([str(d) for d in range(10)])
    conv = view.get_by_test_id("layer-conv")
    expect(conv.get_by_test_id("pager")).to_contain_text("channels 0\u201331 of 40")
    expect(conv.locator("button.map")).to_have_count(32)
    conv.get_by_role("button", name="next page").click()
    expect(conv.get_by_test_id("pager")).to_contain_text("channels 8\u201339 of 40")
    expect(conv.locator("button.map[data-channel='39']")).to_be_visible()
    assert painted(conv.locator("button.map[data-channel='39'] canvas"))


def test_a_feature_map_opens_with_the_kernel_that_made_it_and_its_input_patch(
        page: Page, runs: Runs) -> None:
    view = _open(page, runs.cnn, "activations")
    view.get_by_role("button", name="open conv, channel 5").click()
    detail = view.get_by_test_id("channel-detail")
    expect(detail).to_contain_text("conv, channel 5")
    expect(detail).to_contain_text("(of 40)")
    expect(detail.get_by_test_id("legend").first).to_be_visible()
    made = detail.get_by_test_id("made-from")
    expect(made).to_contain_text("stride 1\u00d71, padding 1\u00d71")
    term = made.get_by_test_id("input-0")
    expect(term.locator(".kernel-values td")).to_have_count(9)  # the 3x3 kernel, in numbers
    expect(made.get_by_test_id("bias")).to_contain_text("+ bias")
    # pointing at output row 2, column 3 outlines the 3x3 input patch from row 1, column 2
    output = detail.locator(".channel-body > figure canvas")
    expect(output).to_be_in_viewport()  # the opened map comes into view
    box = output.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] * 3.5 / 8, box["y"] + box["height"] * 2.5 / 8)
    expect(detail.get_by_test_id("cell-value")).to_contain_text("row 2, column 3:")
    source = term.locator("canvas").first.bounding_box()
    patch = term.get_by_test_id("patch").bounding_box()
    assert source and patch
    cell = source["width"] / 8
    assert abs(patch["x"] - (source["x"] + 2 * cell)) < 2
    assert abs(patch["y"] - (source["y"] + 1 * cell)) < 2
    assert abs(patch["width"] - 3 * cell) < 2


def test_a_confusion_cell_lists_its_samples(page: Page, runs: Runs) -> None:
    view = _open(page, runs.cnn, "confusion")
    expect(view.get_by_test_id("confusion-summary")).to_contain_text(
        "359 samples of the test split")
    cells = view.locator("td button:not([disabled])")
    expect(cells.first).to_be_visible()
    counts = {cell.get_attribute("data-cell"): int(cell.inner_text())
              for cell in cells.all()}
    wrong = [key for key in counts if key and key.split(",")[0] != key.split(",")[1]]
    chosen = max(wrong or counts, key=lambda key: counts[key])
    view.locator(f"td button[data-cell='{chosen}']").click()
    listed = view.get_by_test_id("cell-samples")
    expect(listed.locator("h4")).to_contain_text(f"{counts[chosen]} samples of")
    expect(listed.locator("figure")).to_have_count(min(counts[chosen], 24))
    expect(listed.locator("figcaption").first).to_have_text(re.compile(r"^#\d+ · \d+\.\d%$"))
    assert painted(listed.locator("canvas").first)


def test_attention_shows_heads_side_by_side_reads_a_cell_and_draws_lines(
        page: Page, runs: Runs) -> None:
    view = _open(page, runs.transformer, "attention")
    layer = view.locator(".attention-layer").first
    heads = layer.get_by_test_id("heads").get_by_role("button")
    expect(heads.first).to_have_text("average")
    assert heads.count() >= 3  # the average and every head
    heads.nth(1).click()
    expect(heads.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(layer.get_by_test_id("legend")).to_contain_text("attention weight")
    expect(layer.get_by_test_id("query-labels").locator("span")).to_have_count(16)
    matrix = layer.locator(".attention-main canvas")
    matrix.scroll_into_view_if_needed()
    box = matrix.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9)
    expect(layer.get_by_test_id("attention-cell")).to_have_text(
        re.compile(r"^query “.+” \(\d+\) → key “.+” \(\d+\): \d"))
    view.get_by_label("lines").check()
    lines = layer.get_by_test_id("attention-lines")
    expect(lines.locator("line").first).to_be_attached()
    everything = lines.locator("line").count()
    lines.locator("text[data-query='15']").hover()
    expect(lines.locator("line")).not_to_have_count(everything)
    ends = {line.get_attribute("y1") for line in lines.locator("line").all()}
    assert len(ends) == 1  # the last query's lines only


def test_an_embedding_names_its_classes_shows_a_point_and_computes_tsne(
        page: Page, runs: Runs) -> None:
    view = _open(page, runs.cnn, "embedding")
    legend = view.get_by_test_id("class-legend").locator("li")
    expect(legend).to_have_count(10)
    canvas = view.get_by_test_id("embedding-canvas")
    spot = canvas.evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const r = c.width / c.getBoundingClientRect().width;
        for (let i = 3; i < d.length; i += 4) {
            const p = (i - 3) / 4;
            if (d[i] === 255) return [(p % c.width) / r, Math.floor(p / c.width) / r];
        }
        return null;
    }""")
    assert spot, "no point was drawn"
    box = canvas.bounding_box()
    assert box
    page.mouse.move(box["x"] + spot[0], box["y"] + spot[1])
    tooltip = view.get_by_test_id("point-sample")
    expect(tooltip).to_contain_text(re.compile(r"sample \d+: \d"))
    assert painted(tooltip.locator("canvas"))
    view.get_by_label("projection").select_option("tsne")
    expect(view.get_by_test_id("computing")).to_be_visible()
    expect(view).to_contain_text("2 by t-SNE over 359 samples", timeout=60_000)
    assert painted(canvas)


def test_a_fast_stroke_is_one_line_and_predicted_while_drawn(page: Page, runs: Runs) -> None:
    view = _open(page, runs.cnn, "draw a digit")
    pad = view.locator("canvas")
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 30, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 110, box["y"] + 120, steps=1)  # one jump, as a fast hand gives
    expect(view.get_by_test_id("prediction").locator("li")).to_have_count(5)  # before the pen lifts
    middle = pad.evaluate("""c => {
        const s = c.width / c.getBoundingClientRect().width;
        return Array.from(c.getContext('2d').getImageData(70 * s, 70 * s, 1, 1).data);
    }""")
    page.mouse.up()
    assert middle[:3] == [255, 255, 255], "the stroke is dots, not a line"


def test_a_view_seen_before_comes_back_without_asking_the_server(page: Page, runs: Runs) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url)
            if "/inspect/activations" in request.url else None)
    view = _open(page, runs.cnn, "activations")
    expect(view.get_by_test_id("input-card")).to_be_visible()
    page.get_by_role("tab", name="filters").click()
    expect(page.get_by_test_id("filters-view")).to_be_visible()
    page.get_by_role("tab", name="activations").click()
    expect(page.get_by_test_id("activations-view").get_by_test_id("input-card")).to_be_visible()
    assert len(asked) == 1, asked
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_test_id("activations-view").get_by_test_id("input-card")).to_be_visible()
    assert len(asked) == 2, "Refresh asks again"


def test_generated_text_appears_as_it_is_written_and_stops_when_asked(
        page: Page, runs: Runs) -> None:
    view = _open(page, runs.transformer, "generate")
    view.get_by_label("prompt").fill("to be")
    view.get_by_label("length").fill("500")
    # a slow line (about 60 characters a second), so the writing is still going when Stop
    # is pressed however fast the server writes
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": 1000, "uploadThroughput": -1})
    view.get_by_role("button", name="Generate").click()
    generated = view.get_by_test_id("generated")
    expect(generated).to_have_attribute("aria-busy", "true")
    # text shows while it is being written, long before all 500 characters
    expect(generated).to_have_text(re.compile(r"^to be.{3,}▍$", re.DOTALL))
    view.get_by_role("button", name="Stop").click()
    expect(view.get_by_role("button", name="Generate")).to_be_visible()
    expect(generated).to_have_attribute("aria-busy", "false")
    stopped = generated.text_content() or ""
    assert len("to be") < len(stopped) < len("to be") + 500
    network.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    view.get_by_role("button", name="Generate").click()
    expect(generated).to_have_attribute("aria-busy", "false", timeout=60_000)
    assert len(generated.text_content() or "") == len("to be") + 500


def test_a_view_saves_as_png_svg_and_its_numbers_as_json(page: Page, runs: Runs,
                                                         tmp_path: Path) -> None:
    view = _open(page, runs.cnn, "confusion")
    expect(view.get_by_test_id("confusion-summary")).to_be_visible()
    saved = page.get_by_role("group", name="Save")
    files = {}
    for kind in ("PNG", "SVG", "JSON"):
        with page.expect_download() as download:
            saved.get_by_role("button", name=kind).click()
        files[kind] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[kind])
    assert files["PNG"].name.endswith("-confusion.png")
    with Image.open(files["PNG"]) as picture:
        assert picture.width >= 400 and len(picture.getcolors(1 << 16) or []) > 10
    assert files["SVG"].read_text().startswith("<svg")
    numbers = json.loads(files["JSON"].read_text())
    (matrix,) = numbers.values()
    assert matrix["split"] == "test" and sum(map(sum, matrix["matrix"])) == 359
