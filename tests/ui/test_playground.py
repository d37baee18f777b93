"""The playground in a real browser, driven as a person would: the mouse drags layers
from the palette and wires their ports, the keyboard types settings."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import wait_for_status

pytestmark = pytest.mark.slow


def drop_layer(page: Page, layer: str, x: float, y: float) -> str:
    """Drag a palette entry onto the canvas at (x, y) of the canvas; returns its id.

    Playwright tells an HTML5 drag from a plain mouse move by a zero-delay timer set when
    the first move arrives; on a loaded machine Chromium's dragstart can come after that
    timer, and Playwright then discards the drag it caught, so the page sees a press and
    a release but no drop. A lost gesture is made again; a drop that did arrive adds
    exactly one node, which the count checks."""
    nodes = page.locator(".react-flow__node")
    before = set(nodes.evaluate_all("nodes => nodes.map(n => n.dataset.id)"))
    settled(page)
    for _ in range(3):
        page.get_by_test_id(f"palette-{layer}").drag_to(
            page.get_by_test_id("canvas"), target_position={"x": x, "y": y})
        try:
            expect(nodes).to_have_count(len(before) + 1, timeout=5_000)
            break
        except AssertionError:
            continue
    expect(nodes).to_have_count(len(before) + 1)
    after = set(nodes.evaluate_all("nodes => nodes.map(n => n.dataset.id)"))
    (added,) = after - before
    return str(added)


def node(page: Page, layer_id: str) -> Locator:
    return page.locator(f".react-flow__node[data-id='{layer_id}']")


def select(page: Page, layer_id: str) -> None:
    """Click a layer and wait until the canvas has it selected (a key pressed before the
    selection reaches the canvas would act on nothing)."""
    node(page, layer_id).click()
    expect(node(page, layer_id)).to_have_class(re.compile(r"\bselected\b"))



def inspect_view(page: Page, name: str) -> None:
    """Open the Inspect tab, then one of its views."""
    page.get_by_role("tab", name="Inspect").click()
    tab = page.get_by_role("tab", name=name)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def settled(page: Page) -> None:
    """Wait until the last edit is validated (nodes may change size when errors go)."""
    expect(page.get_by_test_id("status-bar")).to_have_attribute("data-pending", "false")


def connect(page: Page, source: str, target: str) -> None:
    """Press on the source's output port, move to the target's input port, release."""
    settled(page)
    start = node(page, source).locator(".react-flow__handle-right").bounding_box()
    end = node(page, target).locator(".react-flow__handle-left").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()
    expect(page.locator(f".react-flow__edge[data-id='{source}->{target}']")).to_have_count(1)


def set_field(page: Page, name: str, value: str) -> None:
    field = page.locator(f"#field-{name}")
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.press("Enter")


def completed_run(http: httpx2.Client, name: str, training: dict[str, Any]) -> dict[str, Any]:
    """A toy-mlp run trained through the API to its end (for views of ended runs)."""
    run: dict[str, Any] = http.post("/api/v1/runs", json={
        "name": name, "model": {"preset": "toy-mlp"}, "training": training}).json()
    wait_for_status(http, run["id"], {"completed"})
    return run


def shared_url(spec: dict[str, Any], training: dict[str, Any] | None = None) -> str:
    """The playground's link to a network (and its training settings), as Share makes it."""
    def encode(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return "/#spec=" + encode(spec) + ("&training=" + encode(training) if training else "")


#: An empty network on a 2-D input, to build one from the palette (a first visit opens on
#: a preset instead).
EMPTY = shared_url({"version": 1, "name": "My network", "input": {"shape": [2]}, "layers": []})


def open_playground(page: Page, url: str = EMPTY) -> None:
    page.goto(url)
    expect(node(page, "input")).to_be_visible()


def open_lesson(page: Page, lesson_id: str) -> None:
    """Open the playground, then the lesson in the lessons drawer."""
    open_playground(page)
    page.get_by_test_id("lessons-toggle").click()
    page.get_by_test_id("lessons").get_by_test_id(f"lesson-{lesson_id}").click()


def open_run(page: Page, name: str) -> Locator:
    """Open the Runs tab, then the run named `name` from the runs list; returns its row."""
    page.get_by_role("tab", name="Runs").click()
    row = page.locator(".runs-table tr", has_text=name)
    row.get_by_role("button", name="Open", exact=True).click()
    return row


def test_build_train_and_watch_an_xor_network(page: Page) -> None:
    open_playground(page)
    expect(page.get_by_text("Drag a layer from the palette")).to_have_count(2)
    hidden = drop_layer(page, "dense", 400, 200)
    set_field(page, "units", "16")
    set_field(page, "activation", "relu")
    out = drop_layer(page, "dense", 650, 200)
    set_field(page, "units", "2")
    connect(page, "input", hidden)
    connect(page, hidden, out)
    # the shapes ride on the edges; the status bar totals the network
    expect(page.locator(f".react-flow__edge[data-id='{hidden}->{out}']")).to_contain_text("16")
    expect(page.get_by_test_id("status-bar")).to_contain_text("82 params")
    expect(node(page, out)).to_contain_text("\u2192 2")  # its output shape on the node
    page.get_by_test_id("canvas").click(position={"x": 60, "y": 400})  # nothing selected
    page.locator("#dataset").select_option("xor")
    set_field(page, "epochs", "400")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("running", timeout=30_000)
    chart = page.get_by_test_id("loss-chart")
    expect(chart).not_to_have_attribute("data-points", "0", timeout=30_000)
    boundary = page.get_by_test_id("boundary")
    expect(boundary).to_be_visible(timeout=30_000)
    first = boundary.evaluate("c => c.toDataURL()")
    page.wait_for_function(
        "before => document.querySelector('[data-testid=boundary]').toDataURL() !== before",
        arg=first, timeout=30_000)
    points = int(chart.get_attribute("data-points") or 0)
    page.wait_for_function(
        f"document.querySelector('[data-testid=loss-chart]').dataset.points > {points}")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("run-status")).to_have_text("stopped", timeout=30_000)


def test_an_error_appears_on_the_offending_layer_and_goes_away(page: Page) -> None:
    open_playground(page)
    node(page, "input").click()
    page.locator("#input-shape").fill("1, 8, 8")
    page.locator("#input-shape").press("Tab")
    expect(node(page, "input")).to_contain_text("1\u00d78\u00d78")  # with times signs
    conv = drop_layer(page, "conv2d", 400, 150)
    dense = drop_layer(page, "dense", 650, 150)
    connect(page, "input", conv)
    connect(page, conv, dense)
    error = node(page, dense).locator(".layer-error")
    expect(error).to_contain_text("add a flatten layer")
    expect(node(page, conv).locator(".layer-error")).to_have_count(0)
    flatten = drop_layer(page, "flatten", 520, 320)
    connect(page, conv, flatten)
    connect(page, flatten, dense)  # replaces the dense layer's only input
    expect(error).to_have_count(0)
    expect(page.get_by_test_id("status-bar")).to_contain_text("params")


def test_a_shared_link_brings_the_same_network_back(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("lenet5")
    expect(node(page, "conv1")).to_be_visible()
    expect(page.get_by_test_id("status-bar")).to_contain_text("params")
    # the minimap (off in a window this narrow until asked for) draws every layer (it needs
    # the sizes React Flow measured)
    page.get_by_test_id("minimap-toggle").click()
    expect(page.locator(".react-flow__minimap-node")).to_have_count(
        page.locator(".react-flow__node").count())
    ids = sorted(page.locator(".react-flow__node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.id)"))
    totals = page.get_by_test_id("status-bar").inner_text().split("·")[0]
    shared = page.url
    assert "#spec=" in shared
    page.goto("about:blank")
    open_playground(page, shared)
    expect(node(page, "conv1")).to_be_visible()
    assert sorted(page.locator(".react-flow__node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.id)")) == ids
    expect(page.get_by_test_id("status-bar")).to_contain_text(totals.strip())


def open_preset(page: Page, preset: str, layer: str, dataset: str) -> None:
    """Open the playground on a preset (`layer` is one of its layers) and a dataset."""
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option(preset)
    expect(node(page, layer)).to_be_visible()
    settled(page)
    page.locator("#dataset").select_option(dataset)


def train_preset(page: Page, preset: str, layer: str, dataset: str, epochs: int,
                 **options: str) -> None:
    """Load a preset (`layer` is one of its layers), pick a dataset and set its options,
    train to the end."""
    open_preset(page, preset, layer, dataset)
    if options:
        page.get_by_text("Dataset options").click()
        for name, value in options.items():
            set_field(page, name, value)
    set_field(page, "epochs", str(epochs))
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)


def painted(canvas: Locator) -> bool:
    """True when a canvas holds more than one colour."""
    return bool(canvas.evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 4; i < d.length; i += 4) {
            if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
        }
        return false;
    }"""))


def within(inner: Locator, outer: Locator) -> bool:
    a, b = inner.bounding_box(), outer.bounding_box()
    assert a and b
    return (b["x"] <= a["x"] and a["x"] + a["width"] <= b["x"] + b["width"]
            and b["y"] <= a["y"] and a["y"] + a["height"] <= b["y"] + b["height"])


def test_a_cnn_shows_its_filters_and_feature_maps(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})  # the smallest screen served
    train_preset(page, "lenet5", "conv1", "mnist-10k", 1)
    # the dock that opened for the run kept the network's start in view (at a readable
    # zoom LeNet-5 is wider than the canvas: its input's end shows, the rest a pan away)
    canvas = page.get_by_test_id("canvas")
    assert all(within(node(page, layer), canvas) for layer in ("input", "conv1"))
    inspect = page.get_by_role("tab", name="Inspect")
    dock = inspect.bounding_box()
    inspect.click()
    views = page.get_by_role("tab", name="filters")
    expect(views).to_be_visible()
    tabs = views.bounding_box()
    maps = page.get_by_test_id("activations-view").locator("canvas")
    expect(maps.first).to_be_visible(timeout=30_000)
    # no layout jump as the maps arrive: the dock's tabs and the views' stay put
    assert (inspect.bounding_box(), views.bounding_box()) == (dock, tabs)
    assert maps.count() > 10
    assert sum(painted(maps.nth(i)) for i in range(maps.count())) > maps.count() // 2
    page.get_by_role("tab", name="filters").click()
    kernels = page.get_by_test_id("filters-view").locator("canvas")
    expect(kernels.first).to_be_visible(timeout=30_000)
    assert all(painted(kernels.nth(i)) for i in range(min(kernels.count(), 6)))
    page.get_by_role("tab", name="saliency").click()
    attributions = page.get_by_test_id("saliency-view").locator("canvas")
    expect(attributions).to_have_count(3, timeout=30_000)  # the overlay and both maps
    assert painted(attributions.first)
    page.get_by_role("tab", name="embedding").click()
    expect(page.get_by_test_id("embedding-view")).to_contain_text("principal components",
                                                                   timeout=30_000)
    assert painted(page.get_by_test_id("embedding-view").locator("canvas"))
    page.get_by_role("tab", name="confusion").click()
    mistakes = page.get_by_test_id("mistakes").locator("canvas")
    expect(mistakes.first).to_be_visible(timeout=30_000)
    assert painted(mistakes.first)
    page.get_by_role("tab", name="draw a digit").click()
    pad = page.get_by_test_id("draw-view").locator("canvas")
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 70, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 70, box["y"] + 120, steps=10)
    page.mouse.up()
    expect(page.get_by_test_id("prediction").locator("li")).to_have_count(5)


def test_a_transformer_shows_its_attention(page: Page) -> None:
    train_preset(page, "char-transformer", "embed", "chars", 1, seq_len="64", stride="16")
    inspect_view(page, "attention")
    maps = page.get_by_test_id("attention-view").locator(".attention-main canvas")
    expect(maps).to_have_count(2, timeout=30_000)  # one per layer, its heads beside it
    assert painted(maps.first)
    expect(page.get_by_test_id("attention-view").locator(".tokens").first).not_to_be_empty()


def test_runs_are_compared_with_overlaid_curves_and_a_diff(page: Page, live_server: str) -> None:
    names = []
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        for lr in (0.01, 0.05):
            training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 3,
                        "validation_split": 0.2, "optimizer": {"name": "adam", "lr": lr}}
            names.append(completed_run(http, f"compare lr {lr}", training)["name"])
    open_playground(page)
    page.get_by_role("tab", name="Runs").click()
    for name in names:
        page.get_by_label(f"compare {name}").check()
    diff = page.get_by_test_id("runs-diff")
    expect(diff).to_contain_text("training.optimizer.lr")
    expect(diff).to_contain_text("0.05")
    expect(diff).not_to_contain_text("spec.")  # the same network
    overlay = page.get_by_test_id("overlay-chart")
    expect(overlay).to_have_attribute("data-points", "6")
    # a 2-D run that ended before the dashboard opened still shows its decision boundary
    open_run(page, names[0])
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    expect(page.get_by_test_id("boundary")).to_be_visible()


def test_the_dark_theme_is_one_click_away_and_stays(page: Page) -> None:
    open_playground(page)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.get_by_role("button", name="Switch to the dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
    open_playground(page, page.url)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name="Switch to the light theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")


def test_selection_moves_between_layers_and_an_edge_can_be_deleted_and_restored(
        page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("toy-mlp")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    node(page, "hidden2").click()
    expect(page.locator(".inspector h2")).to_have_text("dense")
    node(page, "input").click()  # an earlier node: the selection moves to it
    expect(page.locator(".inspector h2")).to_have_text("Network input")
    node(page, "hidden1").click()
    expect(page.locator("#layer-id")).to_have_value("hidden1")
    edge = page.locator(".react-flow__edge[data-id='hidden1->hidden2']")
    edge.locator("path").first.click(force=True)
    page.keyboard.press("Delete")
    expect(edge).to_have_count(0)
    expect(node(page, "hidden2").locator(".layer-error")).to_contain_text("not connected")
    page.keyboard.press("Control+z")
    expect(edge).to_have_count(1)
    expect(node(page, "hidden2").locator(".layer-error")).to_have_count(0)
