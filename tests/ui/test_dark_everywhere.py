"""The dark theme reaches every panel, chart and map: switched on while a trained 2-D run's
charts and decision boundary are on screen, then through the Runs tab and the Inspect
views (where a change of theme keeps the view chosen), at the smallest screen served
(1280x800). Colours are read as the browser computes
them (backgrounds composited over what lies behind them, canvases by their pixels)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.conftest import SCREENSHOTS
from tests.ui.test_playground import inspect_view, train_preset

pytestmark = pytest.mark.slow

#: Colour arithmetic for the page: CSS colours parsed, a background composited over its
#: ancestors', WCAG's relative luminance and contrast ratio.
COLOUR_JS = """
const parse = (c) => {
    const n = (c.match(/-?[\\d.]+/g) || ['0', '0', '0', '0']).map(Number);
    const scale = c.startsWith('color(') ? 255 : 1;  // color-mix() computes to color(srgb 0..1)
    return [n[0] * scale, n[1] * scale, n[2] * scale, n.length > 3 ? n[3] : 1];
};
const backdrop = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let rgb = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
        rgb = [r, g, b].map((v, i) => v * a + rgb[i] * (1 - a));
    }
    return rgb;
};
const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
};
"""

#: Every visible box larger than a chip whose own background is (mostly) opaque and light;
#: the colours that are data or a badge keep theirs (a confusion cell, a run's status, a
#: layer's category, a chosen tab, a colour key).
LIGHT_BOXES_JS = COLOUR_JS + """
(root) => {
    const kept = '.confusion td, .status-chip, .layer-node-head, button.primary, '
        + '.tabs button.active, '
        + '.legend-bar, .swatch, .trial-swatch, .tag, progress, input[type=range], .heatmap, '
        + '.filter-grid, .input-image, .draw-canvas, .sample-image, button.danger';
    const light = [];
    for (const el of root.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width < 40 || box.height < 16 || el.closest(kept)) continue;
        if (!el.checkVisibility()) continue;
        const own = parse(getComputedStyle(el).backgroundColor);
        if (own[3] < 0.3) continue;
        const seen = luminance(backdrop(el));
        const name = `${el.tagName.toLowerCase()}.${el.classList.value}`;
        if (seen > 0.3) light.push(`${name} (${seen.toFixed(2)})`);
    }
    return light;
}
"""

#: A canvas's mean luminance over its pixels.
CANVAS_LUMINANCE_JS = COLOUR_JS + """
(c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue;
        sum += luminance([d[i], d[i + 1], d[i + 2]]); n += 1;
    }
    return n ? sum / n : luminance(backdrop(c));
}
"""

#: A uPlot chart's tick labels: its canvas below the plot area (the x axis's numbers and
#: title, drawn in the axis's colour) and left of it (the y axis's numbers); the most
#: contrasting pixel there against the panel behind the canvas is the labels' ink. The
#: title's and legend's text colours are read from the DOM.
CHART_CONTRAST_JS = COLOUR_JS + """
(chart) => {
    const canvas = chart.querySelector('canvas');
    const over = chart.querySelector('.u-over');
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const back = backdrop(canvas);
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const bottom = Math.ceil((over.offsetTop + over.offsetHeight) * ratio) + 2;
    const left = Math.floor(over.offsetLeft * ratio) - 2;
    let ticks = 1;
    for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x < canvas.width; x++) {
            if (y < bottom && x > left) continue;  // the plot itself: its lines, not labels
            const i = 4 * (y * canvas.width + x);
            if (d[i + 3] < 255) continue;
            ticks = Math.max(ticks, contrast([d[i], d[i + 1], d[i + 2]], back));
        }
    }
    const text = (selector) => {
        const el = chart.querySelector(selector);
        return el ? contrast(parse(getComputedStyle(el).color), backdrop(el)) : 21;
    };
    return {ticks, title: text('.u-title'), legend: text('.u-legend th'),
            background: luminance(back)};
}
"""


def light_boxes(page: Page, selector: str = "body") -> list[str]:
    return list(page.locator(selector).first.evaluate(LIGHT_BOXES_JS))


def chart_contrast(chart: Locator) -> dict[str, Any]:
    expect(chart.locator("canvas")).to_have_count(1)
    return dict(chart.evaluate(CHART_CONTRAST_JS))


def backdrop_luminance(element: Locator) -> float:
    return float(element.evaluate(COLOUR_JS + "(el) => luminance(backdrop(el))"))


def keep(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"dark-{name}.png")


def test_the_dark_theme_reaches_every_panel_chart_and_map(
        page: Page, record_property: pytest.RecordProperty) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    train_preset(page, "toy-mlp", "hidden1", "xor", 3)
    expect(page.get_by_test_id("accuracy-chart")).not_to_have_attribute("data-points", "0")
    # switched while the run's charts and boundary are on screen: they are drawn again
    page.get_by_role("button", name="Switch to the dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name="Minimap").click()
    expect(page.get_by_test_id("minimap").locator("svg")).to_be_visible()
    boundary = page.get_by_test_id("boundary")
    boundary.scroll_into_view_if_needed()
    keep(page, "training")
    assert light_boxes(page) == []
    boundary_dark = float(boundary.evaluate(CANVAS_LUMINANCE_JS))
    assert boundary_dark < 0.2, f"the boundary map is light: luminance {boundary_dark:.2f}"
    assert backdrop_luminance(boundary) < 0.2
    for badge in (".react-flow__attribution", ".react-flow__minimap",
                  ".react-flow__controls-button"):
        assert backdrop_luminance(page.locator(badge).first) < 0.2, badge
    weakest = 21.0
    for chart in ("loss-chart", "accuracy-chart", "gradient-chart"):
        measured = chart_contrast(page.get_by_test_id(chart))
        assert measured["background"] < 0.2, (chart, measured)
        text = min(measured["ticks"], measured["title"], measured["legend"])
        assert text >= 4.5, (chart, measured)
        weakest = min(weakest, measured["ticks"])
    # the comparison of runs, drawn in the dark theme from the start
    page.get_by_role("tab", name="Runs").click()
    overlay = page.get_by_test_id("overlay-chart")
    expect(overlay).not_to_have_attribute("data-points", "0")
    keep(page, "runs")
    assert light_boxes(page, ".dash") == []
    compared = chart_contrast(overlay)
    assert compared["ticks"] >= 4.5, compared
    # the Inspect views: the input, its class probabilities, the weights' histograms
    inspect_view(page, "activations")
    probabilities = page.get_by_test_id("activations-view").locator(".probabilities tr")
    expect(probabilities).not_to_have_count(0)
    keep(page, "inspect")
    assert light_boxes(page, ".dash") == []
    page.get_by_role("tab", name="histograms").click()
    bars = page.get_by_test_id("histograms-view").locator(".bars rect")
    expect(bars.first).to_be_attached()
    # a change of theme redraws what is shown and leaves the view chosen as it was
    page.get_by_role("button", name="Switch to the light theme").click()
    page.get_by_role("button", name="Switch to the dark theme").click()
    expect(page.get_by_role("tab", name="histograms")).to_have_attribute("aria-selected", "true")
    expect(bars.first).to_be_attached()
    keep(page, "histograms")
    assert light_boxes(page, ".dash") == []
    fills = page.get_by_test_id("histograms-view").locator(".bars").evaluate_all(
        COLOUR_JS + """(svgs) => svgs.slice(0, 2).map(svg => contrast(
            parse(getComputedStyle(svg.querySelector('rect')).fill), backdrop(svg)))""")
    assert min(fills) >= 3, f"the histograms' bars fade into the panel: {fills}"  # WCAG, graphics
    record_property("detail", f"boundary luminance {boundary_dark:.3f}; weakest tick-label "
                              f"contrast {min(weakest, compared['ticks']):.1f}:1; "
                              f"histogram bars {min(fills):.1f}:1")
