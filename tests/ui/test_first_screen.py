"""The first screen and the dashboard as a new user meets them at 1280x800: a first visit
opens on a small network ready to train, with a hint and a way into the lessons (in
either language); loading a preset over edits is one Ctrl+Z away, training settings
included; the dashboard of an old run goes when another network is loaded; and a run's
progress keeps its total when it is completed, paused or resumed."""

from __future__ import annotations

import re
import time

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import (
    EMPTY,
    completed_run,
    node,
    open_playground,
    open_run,
    set_field,
    settled,
)

pytestmark = pytest.mark.slow


def test_a_first_visit_opens_ready_to_train(
        page: Page, record_property: pytest.RecordProperty) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page, "/")
    expect(node(page, "hidden2")).to_be_visible()  # the toy MLP, not an empty canvas
    settled(page)
    expect(page.locator("#dataset")).to_have_value("circle")
    expect(page.locator("#field-epochs")).to_have_value("30")
    hint = page.get_by_test_id("first-hint")
    expect(hint).to_contain_text("Press Train, or change the network")
    page.screenshot(path="build/screenshots/first-screen.png")
    page.get_by_test_id("language").select_option("es")
    expect(hint).to_contain_text("Pulsa Entrenar")
    hint.get_by_role("button", name="O empieza con una lección").click()
    expect(page.get_by_test_id("lessons")).to_be_visible()
    page.get_by_test_id("language").select_option("en")

    began = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    record_property("detail", f"first screen's network trained 30 epochs on circle in "
                              f"{time.monotonic() - began:.1f} s (2 shared cores)")
    expect(hint).to_have_count(0)
    expect(page.get_by_test_id("boundary")).to_be_visible()


def test_a_shared_network_opens_as_it_is_without_the_hint(page: Page) -> None:
    open_playground(page, EMPTY)
    expect(page.locator(".react-flow__node")).to_have_count(1)  # the input alone
    expect(page.get_by_test_id("first-hint")).to_have_count(0)


def test_a_preset_loaded_over_edits_comes_off_with_one_ctrl_z(page: Page) -> None:
    open_playground(page)
    page.get_by_test_id("preset-picker").select_option("toy-mlp")
    expect(node(page, "hidden2")).to_be_visible()
    settled(page)
    set_field(page, "epochs", "7")
    picker = page.get_by_test_id("preset-picker")
    picker.focus()  # as a click on it leaves it
    picker.select_option("char-lstm")
    expect(node(page, "lstm")).to_be_visible()
    expect(page.locator("#dataset")).to_have_value("chars")

    page.keyboard.press("Control+z")
    expect(node(page, "hidden2")).to_be_visible()
    expect(node(page, "lstm")).to_have_count(0)
    expect(page.locator("#dataset")).to_have_value("circle")
    expect(page.locator("#field-epochs")).to_have_value("7")

    page.keyboard.press("Control+y")
    expect(node(page, "lstm")).to_be_visible()
    expect(page.locator("#dataset")).to_have_value("chars")


def test_the_dashboard_follows_the_editor(page: Page, live_server: str) -> None:
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 2}
        completed_run(http, "an xor run to leave", training)
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    open_run(page, "an xor run to leave")
    dashboard = page.get_by_test_id("dashboard")
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    expect(dashboard.locator("header")).to_contain_text("epoch 2 / 2")
    expect(dashboard.locator("progress")).to_have_js_property("value", 1)
    expect(page.get_by_test_id("boundary")).to_be_visible()

    # the Share notice lies over the page: the bar, the canvas and the charts stay put
    placed = [page.get_by_role("button", name="Train", exact=True), page.get_by_test_id("canvas"),
              page.get_by_test_id("loss-chart")]
    before = [box.bounding_box() for box in placed]
    page.get_by_role("button", name="Share").click()
    expect(page.locator(".top-message")).to_be_visible()
    assert [box.bounding_box() for box in placed] == before

    page.get_by_test_id("preset-picker").select_option("mnist-mlp")
    expect(node(page, "fc1")).to_be_visible()
    expect(dashboard).to_have_count(0)
    expect(page.get_by_test_id("boundary")).to_have_count(0)


def test_a_paused_run_opened_keeps_its_total_and_goes_on_when_resumed(
        page: Page, live_server: str) -> None:
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 400}
        run = http.post("/api/v1/runs", json={
            "name": "a paused run to open", "model": {"preset": "toy-mlp"},
            "training": training}).json()
        deadline = time.monotonic() + 60
        while http.get(f"/api/v1/runs/{run['id']}").json()["epoch"] < 1:  # an epoch trained
            assert time.monotonic() < deadline, "the run trained no epoch"
            time.sleep(0.2)
        assert http.post(f"/api/v1/runs/{run['id']}/pause").status_code == 202
        wait_for_status(http, run["id"], {"paused"})
    open_playground(page)
    open_run(page, "a paused run to open")
    dashboard = page.get_by_test_id("dashboard")
    expect(page.get_by_test_id("run-status")).to_have_text("paused")
    expect(dashboard.locator("header")).to_contain_text("/ 400")
    assert dashboard.locator("progress").evaluate("p => p.value") > 0  # the epochs it trained

    dashboard.get_by_role("button", name="Resume").click()
    expect(page.get_by_test_id("run-status")).to_have_text("running", timeout=30_000)
    expect(dashboard.locator("header")).to_contain_text("/ 400")
    expect(page.get_by_test_id("run-eta")).to_have_text(re.compile(r"ETA \d"), timeout=30_000)
    dashboard.get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("run-status")).to_have_text("stopped", timeout=30_000)
