"""The Inspect tabs come from the API: for an MLP on xor and a character transformer, the
tabs shown are the views GET /runs/{id}/inspect lists for the run (those the UI draws as
tabs), and a view the run does not have gets no tab."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_playground import open_preset, set_field

pytestmark = pytest.mark.slow
NOT_TABS = {"predict", "boundary", "latent/grid", "latent/interpolate", "activations/channel",
            "confusion/cell", "sample"}  # read by other tabs
# the tabs whose label is not their view's name
LABELS = {"latent": "latent space", "step": "one step", "draw": "draw a digit"}


def _train(page: Page, preset: str, layer: str, dataset: str, **options: str) -> str:
    """Train a preset for one epoch from the playground; the new run's id."""
    open_preset(page, preset, layer, dataset)
    if options:
        page.get_by_text("Dataset options").click()
        for name, value in options.items():
            set_field(page, name, value)
    set_field(page, "epochs", "1")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/runs")
                              and r.request.method == "POST") as created:
        page.get_by_role("button", name="Train").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=120_000)
    run: dict[str, Any] = created.value.json()
    return str(run["id"])


@pytest.mark.parametrize(("preset", "layer", "dataset", "options", "present", "absent"), [
    ("toy-mlp", "hidden1", "xor", {}, {"confusion", "saliency", "step"},
     {"attention", "generate", "filters", "draw"}),
    ("char-transformer", "block1", "chars", {"seq_len": "64", "stride": "64"},
     {"attention", "generate"}, {"saliency", "confusion", "draw"}),
], ids=["mlp-xor", "char-transformer"])
def test_the_inspect_tabs_are_the_views_the_api_lists(
        page: Page, preset: str, layer: str, dataset: str, options: dict[str, str],
        present: set[str], absent: set[str]) -> None:
    run_id = _train(page, preset, layer, dataset, **options)
    listed = page.request.get(f"/api/v1/runs/{run_id}/inspect").json()
    names = {view["name"] for view in listed["views"]} - NOT_TABS
    assert present <= names and not absent & names

    page.get_by_role("tab", name="Inspect").click()
    panel = page.get_by_role("region", name="Inspect")
    expect(panel).to_have_attribute("data-views", re.compile(r"\S"))
    shown = (panel.get_attribute("data-views") or "").split()
    assert set(shown) == names
    tabs = panel.get_by_role("tablist").get_by_role("tab")
    expect(tabs).to_have_count(len(names))
    for name in shown:
        expect(panel.get_by_role("tab", name=LABELS.get(name, name), exact=True)).to_be_visible()
