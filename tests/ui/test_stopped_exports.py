"""A run stopped before its end keeps the weights it reached: its dashboard offers the
exports, and each one downloads."""

from __future__ import annotations

import uuid

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.helpers import wait_for_status
from tests.ui.test_playground import open_playground, open_run

pytestmark = pytest.mark.slow


def test_a_stopped_run_offers_its_exports(page: Page, live_server: str) -> None:
    name = f"stopped early {uuid.uuid4().hex[:6]}"
    with httpx2.Client(base_url=live_server, timeout=30) as http:
        run = http.post("/api/v1/runs", json={"name": name, "model": {"preset": "toy-mlp"},
                                              "training": {
            "dataset": {"name": "circle", "options": {"n_samples": 25_000}}, "epochs": 1,
            "batch_size": 1, "report_every": 1}}).json()
        deadline_run = wait_for_status(http, run["id"], {"running"})
        while deadline_run["step"] == 0:
            deadline_run = http.get(f"/api/v1/runs/{run['id']}").json()
        assert http.post(f"/api/v1/runs/{run['id']}/stop").status_code in (200, 202)
        stopped = wait_for_status(http, run["id"], {"stopped"})
        assert stopped["epoch"] == 0  # within its first epoch: no epoch's end was reached
    open_playground(page)
    open_run(page, name)
    expect(page.get_by_test_id("run-status")).to_have_text("stopped")
    links = page.get_by_test_id("exports").get_by_role("link")
    expect(links).to_have_text(["pytorch", "safetensors", "onnx", "torchscript"])
    for link in links.all():
        answer = page.request.get(link.get_attribute("href") or "")
        assert answer.status == 200 and len(answer.body()) > 100, link.text_content()
