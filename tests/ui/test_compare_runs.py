"""Comparing runs as a W&B user would: any epoch metric against the epoch, the step or the
time trained, for any number of runs; their final metrics side by side; and runs that
differ in their seed alone grouped into one mean line in a band of one std either side."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import completed_run, open_playground

pytestmark = pytest.mark.slow
EPOCHS = 3


def training(seed: int, lr: float) -> dict[str, Any]:
    return {"dataset": {"name": "circle", "options": {"n_samples": 200}}, "epochs": EPOCHS,
            "validation_split": 0.25, "seed": seed, "optimizer": {"name": "adam", "lr": lr}}


def test_runs_compare_by_any_metric_axis_and_seed_group(page: Page, live_server: str) -> None:
    marker = uuid.uuid4().hex[:6]
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        runs = [completed_run(http, f"{marker} {name}", training(seed, lr))
                for name, seed, lr in (("seed 1", 1, 0.01), ("seed 2", 2, 0.01), ("fast", 1, 0.1))]
        finals = [http.get(f"/api/v1/runs/{run['id']}").json() for run in runs]
    open_playground(page)
    page.get_by_role("tab", name="Runs").click()
    for run in runs:
        page.get_by_label(f"compare {run['name']}").check()
    overlay = page.get_by_test_id("overlay-chart")
    expect(overlay).to_have_attribute("data-points", str(3 * EPOCHS))
    expect(overlay.locator(".u-title")).to_have_text("val loss")  # validation loss first

    metric = page.get_by_test_id("compare-metric")
    options = metric.locator("option").all_inner_texts()
    assert {"val accuracy", "val loss", "train loss"} <= set(options), options
    assert options.index("val loss") < options.index("train loss")  # validation first
    metric.select_option("val_accuracy")
    expect(overlay.locator(".u-title")).to_have_text("val accuracy")
    x_label = overlay.locator(".u-legend tr").first.locator(".u-label")
    expect(x_label).to_have_text("epoch")
    page.get_by_test_id("compare-x").select_option("time")
    expect(overlay.locator(".u-legend tr").first.locator(".u-label")).to_have_text(
        "time trained (s)")
    expect(overlay).to_have_attribute("data-points", str(3 * EPOCHS))

    table = page.get_by_test_id("runs-finals")  # the final metrics side by side
    row = table.locator("tr", has_text="test accuracy")
    expected = [f"{run['test_metrics']['test_accuracy']:.4g}" for run in finals]
    cells = row.locator("td").all_inner_texts()[1:]
    assert [float(c) for c in cells] == pytest.approx([float(e) for e in expected], rel=1e-3)

    page.get_by_test_id("compare-group").check()  # the two seeds: one line, one band
    expect(page.get_by_test_id("compare-x")).to_be_disabled()  # seeds share their epochs
    legend = overlay.locator(".u-legend .u-series .u-label").all_inner_texts()
    grouped = [label for label in legend if "\u00d72 seeds" in label]
    assert len(grouped) == 3, legend  # the mean and the band's upper and lower edges
    # the mean and the band's two edges at each epoch, and the other run's own line
    expect(overlay).to_have_attribute("data-points", str(4 * EPOCHS))
    page.screenshot(path="build/screenshots/compare-runs.png")

    page.get_by_test_id("language").select_option("es")
    expect(overlay.locator(".u-title")).to_have_text("exactitud (val)")
    expect(page.get_by_test_id("compare-group")).to_be_checked()
