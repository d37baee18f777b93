"""A thousand runs in the store: the Runs table pages over all of them, and a user finds
one by search and by sort (the server searches and sorts, not the page in hand)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings
from app.store.sql import SqlRunStore
from tests.conftest import serving
from tests.store.factories import T0, make_run
from tests.ui.test_playground import EMPTY, node

pytestmark = pytest.mark.slow
RUNS = 1000
DASH = "\u2013"  # the pager writes its range with an en dash


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose store holds RUNS completed runs, written straight to its database:
    "run 0000" to "run 0999", newest last, scored 0.5 to 0.8 but for one top scorer in
    the middle, and one run tagged "needle" among them."""
    settings = Settings(home=tmp_path_factory.mktemp("crowded-home"))
    store = SqlRunStore(settings.store_url)
    try:
        for i in range(RUNS):
            score = 0.99 if i == 500 else 0.5 + 0.3 * (i % 97) / 97
            store.create_run(make_run(f"r{i:04d}", minutes=i, status="completed").model_copy(
                update={"name": f"run {i:04d}", "tags": ["needle"] if i == 123 else [],
                        "best_metrics": {"val_accuracy": score}, "best_epochs": {"val_accuracy": 3},
                        "epoch": 3, "started_at": T0, "finished_at": T0 + timedelta(seconds=9)}))
    finally:
        store.close()
    with serving(settings) as url:
        yield url


def test_a_run_among_a_thousand_is_found_by_search_and_by_sort(page: Page, crowded: str) -> None:
    page.goto(crowded + EMPTY)
    expect(node(page, "input")).to_be_visible()
    page.get_by_role("tab", name="Runs").click()
    pager = page.get_by_test_id("runs-pager")
    expect(pager).to_contain_text(f"1{DASH}50 of 1,000")
    names = page.locator(".runs-table td[data-column=name]")
    expect(names.first).to_have_text("run 0999")  # newest first
    page.get_by_role("button", name="Next page").click()
    expect(pager).to_contain_text(f"51{DASH}100 of 1,000")
    expect(names.first).to_have_text("run 0949")

    search = page.get_by_test_id("runs-search")
    search.fill("needle")  # a tag, on a run 876 rows down the list
    expect(names).to_have_text(["run 0123"])
    expect(pager).to_contain_text(f"1{DASH}1 of 1")
    search.fill("")
    best = page.locator(".runs-table th[data-column=score]").get_by_role("button")
    best.click()
    best.click()  # descending: the best score first, from the middle of the store
    expect(names.first).to_have_text("run 0500")
    expect(pager).to_contain_text(f"1{DASH}50 of 1,000")

    page.get_by_test_id("runs-status").select_option("failed")
    expect(page.get_by_text("No run matches the search and filters.")).to_be_visible()
    page.get_by_test_id("language").select_option("es")
    page.get_by_test_id("runs-status").select_option("")
    expect(pager).to_contain_text(f"1{DASH}50 de 1000")  # Spanish groups from 10.000 on
