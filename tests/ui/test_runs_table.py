"""The runs table as a user compares runs: each run's network, epochs, score at its best
epoch, test metric, duration and device; sorted by a click on any column's head, searched
by name, network, dataset and tags (a tag's chip searches by it), and renamed, tagged and
described in place. The server sorts and searches: tests/ui/test_runs_many.py finds a run
among a thousand."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import open_playground, open_run

pytestmark = pytest.mark.slow
TRAINING: dict[str, Any] = {"dataset": {"name": "circle", "options": {"n_samples": 200}},
                            "epochs": 2, "validation_split": 0.25, "device": "cpu"}


def trained(http: httpx2.Client, name: str, **training: Any) -> dict[str, Any]:
    run: dict[str, Any] = http.post("/api/v1/runs", json={
        "name": name, "model": {"preset": "toy-mlp"}, "training": TRAINING | training}).json()
    return wait_for_status(http, run["id"], {"completed"})


def names(page: Page) -> Locator:
    """The name cells of the runs shown."""
    return page.locator(".runs-table td[data-column=name]")


def test_runs_are_told_apart_sorted_searched_and_labelled(page: Page, live_server: str) -> None:
    marker = uuid.uuid4().hex[:6]
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        slow = trained(http, f"b {marker}", optimizer={"name": "sgd", "lr": 0.001})
        fast = trained(http, f"a {marker}", epochs=3)
        http.patch(f"/api/v1/runs/{fast['id']}", json={"tags": ["baseline"]})
    open_playground(page)
    page.get_by_role("tab", name="Runs").click()
    row = page.locator(f".runs-table tr[data-run='{fast['id']}']")
    cell = lambda column: row.locator(f"td[data-column={column}]")  # noqa: E731
    expect(cell("network")).to_have_text(fast["spec"]["name"])
    expect(cell("dataset")).to_have_text("circle")
    expect(cell("epochs")).to_have_text("3 / 3")
    score = fast["score"]
    expect(cell("score")).to_contain_text(f"val acc @ {score['epoch']}")
    expect(cell("score")).to_have_attribute("title", "val accuracy")
    expect(cell("test")).to_contain_text("acc")
    expect(cell("test")).to_have_attribute("title", "test accuracy")
    expect(cell("duration")).to_have_text(re.compile(r"^\d+ s cpu \(\d+ threads?\)$"))

    search = page.get_by_test_id("runs-search")
    search.fill(marker)  # only this test's two runs, newest first
    expect(names(page)).to_have_text([f"a {marker}", f"b {marker}"])
    head = page.locator(".runs-table th[data-column=name]")
    expect(head).to_have_text("run")
    head.get_by_role("button").click()
    expect(head).to_have_attribute("aria-sort", "ascending")
    expect(names(page)).to_have_text([f"a {marker}", f"b {marker}"])
    head.get_by_role("button").click()
    expect(head).to_have_attribute("aria-sort", "descending")
    expect(names(page)).to_have_text([f"b {marker}", f"a {marker}"])

    row.locator("button.tag", has_text="baseline").click()  # a tag's chip searches by it
    expect(search).to_have_value("baseline")
    expect(page.locator(f".runs-table tr[data-run='{slow['id']}']")).to_have_count(0)
    search.fill(f"{marker} sgd")  # neither run's name, network, dataset or tags holds "sgd"
    expect(page.get_by_text("No run matches the search and filters.")).to_be_visible()

    search.fill(marker)
    page.get_by_role("button", name=f"Rename, tag or describe b {marker}").click()
    form = page.get_by_test_id("run-labels")
    form.get_by_label("Name").fill(f"slow sgd {marker}")
    form.get_by_label("Tags").fill("sgd, slow")
    form.get_by_label("Description").fill("lr 0.001 is too small")
    form.get_by_role("button", name="Save").click()
    edited = page.locator(f".runs-table tr[data-run='{slow['id']}']")
    expect(edited.locator("td[data-column=name]")).to_have_text(f"slow sgd {marker}")
    expect(edited.locator("button.tag")).to_have_text(["sgd", "slow"])
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        saved = http.get(f"/api/v1/runs/{slow['id']}").json()
    assert (saved["name"], saved["tags"], saved["description"]) == (
        f"slow sgd {marker}", ["sgd", "slow"], "lr 0.001 is too small")
    page.screenshot(path="build/screenshots/runs-table.png")

    page.get_by_test_id("language").select_option("es")
    expect(cell("score")).to_contain_text(f"exact. val @ {score['epoch']}")
    expect(cell("score")).to_have_attribute("title", "exactitud (val)")
    expect(page.locator(".runs-table th button", has_text="épocas")).to_be_visible()


def test_an_ended_runs_dashboard_gives_its_test_metrics(page: Page, live_server: str) -> None:
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        run = trained(http, f"tested {uuid.uuid4().hex[:6]}")
    test = run["test_metrics"]
    open_playground(page)
    open_run(page, run["name"])
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    shown = page.get_by_test_id("run-metrics")
    expect(shown).to_have_text(re.compile(r"^test loss [0-9.]+ · test acc [0-9.]+%$"))
    loss, accuracy = map(float, re.findall(r"[0-9]+\.[0-9]+", shown.inner_text()))
    assert loss == pytest.approx(test["test_loss"], rel=1e-3)
    assert accuracy == pytest.approx(100 * test["test_accuracy"], abs=0.05)
