"""A long run followed live: past LIVE_POINTS step rows the dashboard thins what it holds
(each stretch's lowest and highest kept), so its charts draw a bounded number of points
however long the run, and it says from how many of how many steps they are drawn. A drag
across a chart zooms every step chart into those steps, fetched again at full
resolution; "show all" goes back."""

from __future__ import annotations

import re
import uuid

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_playground, open_run

pytestmark = pytest.mark.slow
LIVE_POINTS = 4000  # static/src/train/stream.ts


def test_a_long_run_followed_live_draws_a_bounded_number_of_points(
        page: Page, live_server: str) -> None:
    name = f"long {uuid.uuid4().hex[:6]}"
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        run = http.post("/api/v1/runs", json={"name": name, "model": {"preset": "toy-mlp"},
                                              "training": {
            "dataset": {"name": "circle", "options": {"n_samples": 400}}, "epochs": 200,
            "batch_size": 1, "validation_split": 0.0, "report_every": 50,
            "device": "cpu"}}).json()
        try:
            open_playground(page)
            open_run(page, name)
            expect(page.get_by_test_id("run-status")).to_have_text("running", timeout=30_000)
            note = page.get_by_test_id("thinned")
            page.wait_for_function(  # live rows past twice the bound, the run still going
                "() => Number((document.querySelector('[data-testid=thinned]')?.textContent"
                f" ?? '').match(/of (\\d+)/)?.[1] ?? 0) > {2 * LIVE_POINTS}",
                timeout=120_000)
            expect(page.get_by_test_id("run-status")).to_have_text("running")
            points = int(page.get_by_test_id("loss-chart").get_attribute("data-points") or 0)
            assert 0 < points <= LIVE_POINTS + 200  # the train loss, and a point an epoch
            shown, total = map(int, re.findall(r"\d+", note.inner_text())[:2])
            assert shown <= LIVE_POINTS < total
        finally:
            http.post(f"/api/v1/runs/{run['id']}/stop")
    expect(page.get_by_test_id("run-status")).to_have_text("stopped", timeout=30_000)

    chart = page.get_by_test_id("loss-chart")
    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.40 * box["width"], middle)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.45 * box["width"], middle, steps=5)
    page.mouse.up()
    zoomed = page.get_by_test_id("zoomed")
    expect(zoomed).to_contain_text("steps ")
    first, last = map(int, re.findall(r"\d+", zoomed.inner_text())[:2])
    assert 0 < last - first < 2000
    # every step of the range, as the store has them (no validation split: no epoch points)
    expect(chart).to_have_attribute("data-points", str(last - first + 1))
    expect(page.get_by_test_id("accuracy-chart")).to_have_attribute(
        "data-points", str(last - first + 1))
    page.screenshot(path="build/screenshots/zoomed-steps.png")
    zoomed.get_by_role("button", name="show all steps").click()
    expect(zoomed).to_have_count(0)
    expect(page.get_by_test_id("thinned")).to_be_visible()
