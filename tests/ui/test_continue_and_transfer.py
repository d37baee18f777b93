"""Pause, edit the network, continue as a linked run; start a run from another run's
weights with a gentler learning rate for one layer. In a real browser."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
import pytest
from playwright.sync_api import Page, Route, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import node, open_preset, set_field, settled

pytestmark = pytest.mark.slow


def test_pause_widen_a_layer_and_continue_with_the_edit_marked(page: Page,
                                                               live_server: str) -> None:
    open_preset(page, "toy-mlp", "hidden2", "xor")
    set_field(page, "epochs", "400")
    page.get_by_role("button", name="Train").click()
    chart = page.get_by_test_id("loss-chart")
    expect(chart).not_to_have_attribute("data-points", "0", timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id("run-status")).to_have_text("paused", timeout=30_000)
    before = int(chart.get_attribute("data-points") or 0)

    node(page, "hidden2").click()
    set_field(page, "units", "16")
    settled(page)
    page.get_by_role("button", name="Continue with edits").click()
    origin = page.get_by_test_id("run-origin")
    expect(origin).to_contain_text("Continues run", timeout=30_000)
    expect(origin).to_contain_text("kept hidden1")
    expect(origin).to_contain_text("fresh: hidden2 (weight is [16, 8] here but [8, 8]")
    expect(page.get_by_test_id("run-status")).to_have_text("running", timeout=30_000)
    expect(chart).not_to_have_attribute("data-marks", "", timeout=30_000)
    edit = int(chart.get_attribute("data-marks") or 0)
    assert edit > 0
    # the chart holds the paused run's steps, then the new run's beyond them
    page.wait_for_function(
        f"document.querySelector('[data-testid=loss-chart]').dataset.points > {before + 5}",
        timeout=30_000)
    # the stop's answer ("running": the worker winds down) held back until the run has
    # stopped, so the stream's "finished" comes first: the older answer must not undo it
    page.route("**/stop", _answer_after_the_run_ends(live_server))
    with page.expect_response("**/stop", timeout=60_000):
        page.get_by_role("button", name="Stop").click()
    page.wait_for_timeout(500)  # the answer read and the page drawn again
    expect(page.get_by_test_id("run-status")).to_have_text("stopped")


def _answer_after_the_run_ends(base: str) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        response = route.fetch()
        run_id = response.json()["id"]
        print("ANSWER", response.json()["status"])
        with httpx2.Client(base_url=base, timeout=30) as http:
            wait_for_status(http, run_id, {"stopped"}, timeout=30)
        time.sleep(1)  # the stream's event on its way to the page
        route.fulfill(response=response)
    return handle


def test_a_run_starts_from_a_trained_runs_weights(page: Page, live_server: str) -> None:
    training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 2,
                "validation_split": 0.2}
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        source = http.post("/api/v1/runs", json={"name": "pretrained xor", "training": training,
                                                 "model": {"preset": "toy-mlp"}}).json()
        wait_for_status(http, source["id"], {"completed"})
    open_preset(page, "toy-mlp", "hidden2", "xor")
    set_field(page, "epochs", "2")
    page.get_by_text("transfer learning").click()
    page.locator("#init-from").focus()
    expect(page.locator("#init-from option", has_text="pretrained xor")).to_have_count(1)
    page.locator("#init-from").select_option(source["id"])
    page.locator("#layer-lr-hidden1").fill("0.1")
    page.get_by_role("button", name="Train").click()
    origin = page.get_by_test_id("run-origin")
    expect(origin).to_contain_text(f"Starts from the weights of run {source['id'][:8]}",
                                   timeout=30_000)
    expect(origin).to_contain_text("kept hidden1, hidden2, out")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        runs = http.get("/api/v1/runs").json()["runs"]
        started = next(r for r in runs if (r["origin"] or {}).get("run_id") == source["id"])
        run = http.get(f"/api/v1/runs/{started['id']}").json()
    assert run["training"]["layer_lr"] == {"hidden1": 0.1}
