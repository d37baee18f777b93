"""The network editor's graphs read at 1280x800 with the drawer open, in a real browser:
node text is never under 10 px on screen, the minimap stays out of the graph's way, edges
go around the nodes they do not join, a deep network can run top to bottom, branching
networks lay out with no node over another, and each node says what it is to a screen
reader, in either language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.conftest import SCREENSHOTS
from tests.ui.test_playground import node, open_playground, settled

pytestmark = pytest.mark.slow

#: The smallest screen served, the drawer (the training panel) open beside the canvas.
SMALL = {"width": 1280, "height": 800}
#: Networks that branch and join: an inception block, residual blocks, an encoder-decoder.
BRANCHING = ["inception-block", "residual-cnn", "translation-transformer"]
MIN_TEXT_PX = 10
ROUNDING = 0.01  # the view's transform holds its zoom in single precision

#: The smallest node text on screen: its font size times the view's zoom.
SMALLEST_TEXT = """() => {
    const view = document.querySelector('.react-flow__viewport');
    const zoom = new DOMMatrix(getComputedStyle(view).transform).a;
    let smallest = Infinity;
    for (const el of document.querySelectorAll('.react-flow__node *')) {
        const own = [...el.childNodes]
            .some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        if (own) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * zoom);
    }
    return smallest;
}"""

#: Each edge that passes through the box of a node other than its own two ends.
CROSSINGS = """() => {
    const boxes = [...document.querySelectorAll('.react-flow__node')]
        .map((n) => ({ id: n.dataset.id, r: n.getBoundingClientRect() }));
    const found = new Set();
    for (const edge of document.querySelectorAll('.react-flow__edge')) {
        const [source, target] = edge.dataset.id.split('->');
        const path = edge.querySelector('path.react-flow__edge-path');
        const m = path.getScreenCTM();
        const length = path.getTotalLength();
        for (let s = 0; s <= length; s += 2) {
            const p = path.getPointAtLength(s);
            const x = m.a * p.x + m.c * p.y + m.e;
            const y = m.b * p.x + m.d * p.y + m.f;
            for (const { id, r } of boxes) {
                if (id === source || id === target) continue;
                if (x > r.left + 1 && x < r.right - 1 && y > r.top + 1 && y < r.bottom - 1) {
                    found.add(`${edge.dataset.id} crosses ${id}`);
                }
            }
        }
    }
    return [...found];
}"""

#: Each pair of nodes whose boxes overlap.
OVERLAPS = """() => {
    const boxes = [...document.querySelectorAll('.react-flow__node')]
        .map((n) => ({ id: n.dataset.id, r: n.getBoundingClientRect() }));
    const found = [];
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, b] = [boxes[i].r, boxes[j].r];
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 0.5 && h > 0.5) found.push(`${boxes[i].id} overlaps ${boxes[j].id}`);
        }
    }
    return found;
}"""

#: Whether any node is under the minimap: every element stacked at points across it.
UNDER_MINIMAP = """() => {
    const r = document.querySelector('[data-testid=minimap] .react-flow__minimap')
        .getBoundingClientRect();
    const found = new Set();
    for (let x = r.left + 2; x < r.right; x += 8) {
        for (let y = r.top + 2; y < r.bottom; y += 8) {
            for (const el of document.elementsFromPoint(x, y)) {
                const hit = el.closest('.react-flow__node');
                if (hit) found.add(hit.dataset.id);
            }
        }
    }
    return [...found];
}"""


def canvas(page: Page) -> Locator:
    return page.get_by_test_id("canvas")


def open_small(page: Page, url: str | None = None) -> None:
    """The playground at 1280x800, its first view fitted."""
    page.set_viewport_size(SMALL)
    open_playground(page, *([url] if url else []))
    expect(canvas(page)).to_have_attribute("data-fits", re.compile(r"^[1-9]"))


def refitted(page: Page, act: Callable[[], None]) -> None:
    """Do something that fits the view again (a load, a layout), and wait for that fit."""
    before = canvas(page).get_attribute("data-fits")
    act()
    expect(canvas(page)).not_to_have_attribute("data-fits", before or "")


def load(page: Page, preset: str) -> dict[str, Any]:
    """Load a preset from the picker; its view fitted and its network checked."""
    spec: dict[str, Any] = page.request.get(f"/api/v1/presets/{preset}").json()
    refitted(page, lambda: page.get_by_test_id("preset-picker").select_option(preset))
    expect(node(page, spec["layers"][-1]["id"])).to_have_count(1)
    settled(page)
    return spec


def test_node_text_is_never_under_10_px_at_1280x800(
        page: Page, record_property: Callable[[str, object], None]) -> None:
    open_small(page)
    presets = [p["name"] for p in page.request.get("/api/v1/presets").json()]
    smallest: dict[str, float] = {}
    for preset in presets:
        load(page, preset)
        smallest[preset] = page.evaluate(SMALLEST_TEXT)
        page.screenshot(path=SCREENSHOTS / f"graph-{preset}.png")
    least = min(smallest, key=smallest.__getitem__)
    record_property("detail", f"{len(presets)} presets; smallest node text "
                              f"{smallest[least]:.1f} px ({least})")
    small = {p: round(px, 1) for p, px in smallest.items() if px < MIN_TEXT_PX - ROUNDING}
    assert not small, f"node text under {MIN_TEXT_PX} px on screen: {small}"


def test_the_minimap_is_off_below_1600_px_and_never_covers_a_node(page: Page) -> None:
    open_small(page)
    minimap = page.get_by_test_id("minimap")
    toggle = page.get_by_test_id("minimap-toggle")
    expect(minimap).to_have_count(0)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    spec = load(page, "residual-cnn")
    toggle.click()
    expect(minimap.locator(".react-flow__minimap")).to_be_visible()
    # pan the last layer to the canvas's bottom-right corner, where a minimap sits
    box, last = canvas(page).bounding_box(), node(page, spec["layers"][-1]["id"]).bounding_box()
    assert box and last
    start = page.evaluate("""() => {
        const r = document.querySelector('.react-flow__pane').getBoundingClientRect();
        for (let y = r.top + 60; y < r.bottom - 60; y += 10) {
            for (let x = r.left + 60; x < r.right - 60; x += 10) {
                const hit = document.elementFromPoint(x, y);
                if (hit?.classList.contains('react-flow__pane')) return { x, y };
            }
        }
        return null;
    }""")
    assert start, "no empty spot on the canvas to drag it by"
    shift = (box["x"] + box["width"] - 110 - (last["x"] + last["width"] / 2),
             box["y"] + box["height"] - 80 - (last["y"] + last["height"] / 2))
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(start["x"] + shift[0], start["y"] + shift[1], steps=10)
    page.mouse.up()
    assert page.evaluate(UNDER_MINIMAP) == []
    # the choice stays, like the theme
    open_small(page, page.url)
    expect(minimap.locator(".react-flow__minimap")).to_be_visible()
    toggle.click()
    expect(minimap).to_have_count(0)
    open_small(page, page.url)
    expect(minimap).to_have_count(0)


def test_a_wide_window_shows_the_minimap(page: Page) -> None:
    page.set_viewport_size({"width": 1700, "height": 900})
    open_playground(page)
    expect(page.get_by_test_id("minimap")).to_have_count(1)


@pytest.mark.parametrize("preset", BRANCHING)
def test_edges_go_around_the_nodes_they_do_not_join(page: Page, preset: str) -> None:
    open_small(page)
    load(page, preset)
    assert page.evaluate(CROSSINGS) == []


@pytest.mark.parametrize("preset", BRANCHING)
def test_branching_networks_lay_out_with_no_node_over_another(page: Page, preset: str) -> None:
    open_small(page)
    load(page, preset)
    assert page.evaluate(OVERLAPS) == []


def test_a_deep_network_can_run_top_to_bottom_and_stays_so(page: Page) -> None:
    open_small(page)
    load(page, "residual-cnn")
    direction = page.get_by_role("combobox", name="Layout")
    refitted(page, lambda: direction.select_option("DOWN"))
    first, second = node(page, "input").bounding_box(), node(page, "stem_conv").bounding_box()
    assert first and second
    assert second["y"] >= first["y"] + first["height"]  # below it, not beside it
    expect(node(page, "stem_conv").locator(".react-flow__handle-top")).to_have_count(1)
    expect(node(page, "stem_conv").locator(".react-flow__handle-bottom")).to_have_count(1)
    # its edges leave from the bottom's middle and arrive at the top's (within a port's size)
    ends = page.locator(".react-flow__edge[data-id='stem_conv->stem_bn'] "
                        "path.react-flow__edge-path")
    start, end = ends.evaluate("""path => [0, path.getTotalLength()].map((at) => {
        const p = path.getPointAtLength(at);
        const m = path.getScreenCTM();
        return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
    })""")
    source, target = second, node(page, "stem_bn").bounding_box()
    assert target
    assert abs(start["x"] - (source["x"] + source["width"] / 2)) < 4
    assert abs(start["y"] - (source["y"] + source["height"])) < 4
    assert abs(end["x"] - (target["x"] + target["width"] / 2)) < 4
    assert abs(end["y"] - target["y"]) < 4
    assert page.evaluate(OVERLAPS) == []
    assert page.evaluate(CROSSINGS) == []
    assert page.evaluate(SMALLEST_TEXT) >= MIN_TEXT_PX - ROUNDING
    page.screenshot(path=SCREENSHOTS / "graph-residual-cnn-down.png")
    # the next visit lays networks out the same way
    open_small(page, page.url)
    expect(direction).to_have_value("DOWN")
    load(page, "toy-mlp")
    first, second = node(page, "input").bounding_box(), node(page, "hidden1").bounding_box()
    assert first and second
    assert second["y"] >= first["y"] + first["height"]
    refitted(page, lambda: direction.select_option("RIGHT"))
    first, second = node(page, "input").bounding_box(), node(page, "hidden1").bounding_box()
    assert first and second
    assert second["x"] >= first["x"] + first["width"]


def test_nodes_say_what_they_are_in_either_language(page: Page) -> None:
    open_small(page)
    load(page, "toy-mlp")
    dense = "hidden1, {layer}, 8 {units}, tanh, {output} 8, 24 {params}"
    conv = ("conv1, {layer}, 6 {filters}, {kernel} 5\u00d75, tanh, {output} 6\u00d728\u00d728, "
            "156 {params}")
    english = {"output": "output", "params": "parameters"}
    spanish = {"output": "salida", "params": "par\u00e1metros"}
    expect(node(page, "hidden1")).to_have_attribute(
        "aria-label", dense.format(layer="dense layer", units="units", **english))
    load(page, "lenet5")
    expect(node(page, "conv1")).to_have_attribute("aria-label", conv.format(
        layer="conv2d layer", filters="filters", kernel="kernel", **english))
    page.get_by_test_id("language").select_option("es")
    expect(node(page, "conv1")).to_have_attribute("aria-label", conv.format(
        layer="capa conv2d", filters="filtros", kernel="n\u00facleo", **spanish))
    load(page, "toy-mlp")
    expect(node(page, "hidden1")).to_have_attribute(
        "aria-label", dense.format(layer="capa dense", units="unidades", **spanish))
