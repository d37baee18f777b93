"""What a new user meets at 1280x800, the smallest screen served: the runs table whole,
its Open buttons in view without scrolling sideways (in either language); a Train the
server refuses said once, not once as the answer and again as its issue; and a run that
completed before it was opened with its progress bar full."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import (
    completed_run,
    open_playground,
    open_preset,
    open_run,
    set_field,
    within,
)

pytestmark = pytest.mark.slow


def test_the_runs_table_fits_its_box_at_1280(page: Page, live_server: str) -> None:
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 1}
        created = http.post("/api/v1/runs", json={
            "name": "a run with a fairly long name", "model": {"preset": "toy-mlp"},
            "training": training})
        assert created.status_code == 201, created.text
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page)
    for language, tab, button in (("en", "Runs", "Open"), ("es", "Ejecuciones", "Abrir")):
        page.get_by_test_id("language").select_option(language)
        page.get_by_role("tab", name=tab).click()
        box = page.locator(".runs-table-box")
        row = page.locator(".runs-table tr", has_text="a run with a fairly long name")
        expect(row).to_have_count(1)
        fits = box.evaluate("b => b.scrollWidth <= b.clientWidth")
        assert fits, f"the runs table is cut ({language})"
        assert within(row.get_by_role("button", name=button), box)


def test_a_refused_train_is_said_once(page: Page) -> None:
    open_preset(page, "mnist-vae", "z", "mnist-10k")
    set_field(page, "task", "classification")  # a VAE trained as a classifier
    set_field(page, "epochs", "1")
    page.get_by_role("button", name="Train").click()
    error = page.get_by_test_id("train-error")
    expect(error).to_contain_text("has 10 classes")
    assert error.inner_text().count("has 10 classes") == 1, error.inner_text()


def test_a_run_that_completed_before_it_was_opened_shows_a_full_bar(
        page: Page, live_server: str) -> None:
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        training = {"dataset": {"name": "xor", "options": {"n_samples": 200}}, "epochs": 2}
        completed_run(http, "completed before opened", training)
    open_playground(page)
    open_run(page, "completed before opened")
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    expect(page.get_by_test_id("dashboard").locator("progress")).to_have_js_property("value", 1)
