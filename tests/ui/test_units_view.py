"""The unit view in the browser: every unit of a small 2-D network drawn over the plane,
the weights as lines, a readout of what is pointed at, the epochs kept, the maps
following a run as it trains, and why a bigger network has none."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import (
    inspect_view,
    open_playground,
    open_preset,
    open_run,
    painted,
    set_field,
)

pytestmark = pytest.mark.slow
XOR: dict[str, Any] = {"dataset": {"name": "xor", "options": {"n_samples": 400}},
                       "epochs": 6, "optimizer": {"name": "adam", "lr": 0.05}}


def _run(live_server: str, model: dict[str, Any], training: dict[str, Any],
         until: set[str]) -> tuple[str, str]:
    name = f"units {uuid.uuid4().hex[:6]}"
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        created = http.post("/api/v1/runs", json={"name": name, "model": model,
                                                  "training": training})
        assert created.status_code == 201, created.text
        wait_for_status(http, created.json()["id"], until, timeout=120)
    return name, str(created.json()["id"])


def test_every_unit_and_weight_of_an_xor_network_is_drawn(page: Page, live_server: str) -> None:
    name, _ = _run(live_server, {"preset": "toy-mlp"}, XOR, {"completed"})
    open_playground(page)
    open_run(page, name)
    inspect_view(page, "units")
    view = page.get_by_test_id("units-view")
    maps = view.locator(".unit canvas")
    expect(maps).to_have_count(2 + 8 + 8 + 2)
    assert all(painted(maps.nth(i)) for i in (0, 2, 10, 18))
    edges = view.locator("line.edge")
    expect(edges).to_have_count(2 * 8 + 8 * 8 + 8 * 2)
    widths = {float(edges.nth(i).get_attribute("stroke-width") or 0) for i in range(20)}
    assert len(widths) > 5  # as thick as each weight is large
    edges.nth(3).hover(force=True)  # lines cross: whichever is on top answers
    expect(view.get_by_test_id("units-readout")).to_have_text(
        re.compile(r"^.+ (#\d|x|y) → .+ #\d: weight -?\d.*, gradient -?\d"))
    view.get_by_test_id("unit-1-2").hover()
    expect(view.get_by_test_id("unit-bias")).to_have_text(re.compile(r"^bias -?\d"))
    # back to the first kept epoch: the maps were different then
    before = maps.nth(5).evaluate("c => c.toDataURL()")
    slider = view.get_by_label("epoch")
    slider.fill("0")
    expect(view).to_contain_text("weights of epoch 0")
    page.wait_for_function("([c, before]) => c.toDataURL() !== before",
                           arg=[maps.nth(5).element_handle(), before])


def test_the_maps_follow_a_run_as_it_trains_and_stop_when_it_pauses(
        page: Page, live_server: str) -> None:
    # single-sample steps: an epoch takes a good fraction of a second, the run minutes
    training = {**XOR, "epochs": 400, "batch_size": 1, "optimizer": {"name": "sgd", "lr": 0.01}}
    name, run_id = _run(live_server, {"preset": "toy-mlp"}, training, {"running"})
    open_playground(page)
    open_run(page, name)
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        # a checkpoint to draw from: the first epoch's end
        while http.get(f"/api/v1/runs/{run_id}").json()["epoch"] < 1:
            page.wait_for_timeout(50)
        inspect_view(page, "units")
        unit = page.get_by_test_id("unit-1-0").locator("canvas")
        expect(unit).to_be_visible()
        before = unit.evaluate("c => c.toDataURL()")
        page.wait_for_function("([c, before]) => c.toDataURL() !== before",
                               arg=[unit.element_handle(), before], timeout=30_000)
        assert http.post(f"/api/v1/runs/{run_id}/pause").status_code in (200, 202)
        wait_for_status(http, run_id, {"paused"})
    # the pause's own checkpoint is drawn once, when the page has heard of the pause (its
    # views fetch again); then nothing changes
    expect(page.locator(".inspect")).to_have_attribute("data-version", "paused")
    expect(page.locator(".inspect")).to_have_attribute("data-views", re.compile("units"))
    page.wait_for_load_state("networkidle")
    frozen = unit.evaluate("c => c.toDataURL()")
    page.wait_for_timeout(1500)  # a paused run writes no weights: nothing to redraw
    assert unit.evaluate("c => c.toDataURL()") == frozen


def test_a_single_unit_given_squares_as_inputs_separates_the_circle(page: Page) -> None:
    """As a learner does it: tick x² and y² among the circle's features, let the network
    take the wider input it now gives, train, and see the inputs named in the unit view."""
    open_preset(page, "perceptron", "out", "circle")
    page.get_by_text("Dataset options").click()
    features = page.locator("[data-field=features]")
    expect(features.get_by_label("x", exact=True)).to_be_checked()
    features.get_by_label("x²").check()
    features.get_by_label("y²").check()
    mismatch = page.get_by_role("alert").filter(has_text="This dataset gives")
    expect(mismatch).to_contain_text("4")
    mismatch.get_by_role("button").click()
    expect(mismatch).to_have_count(0)
    set_field(page, "epochs", "30")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    inspect_view(page, "units")
    view = page.get_by_test_id("units-view")
    expect(view.locator(".unit-label")).to_have_text(["x", "y", "x²", "y²"])
    expect(view.locator(".unit canvas")).to_have_count(4 + 1)
    assert painted(view.get_by_test_id("unit-1-0").locator("canvas"))
    view.get_by_test_id("unit-0-3").hover()
    expect(view.get_by_test_id("units-readout")).to_contain_text("y²")


def test_a_wide_network_says_why_it_has_no_unit_view(page: Page, live_server: str) -> None:
    wide = {"input": {"shape": [2]}, "layers": [
        {"id": "wide", "type": "dense", "units": 32, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 2}]}
    name, _ = _run(live_server, wide, {**XOR, "epochs": 1}, {"completed"})
    open_playground(page)
    open_run(page, name)
    inspect_view(page, "units")
    why = page.get_by_test_id("units-why")
    expect(why).to_contain_text("has 32 units")
    expect(why).to_contain_text("activations view")
