"""The browser tests: Debian's chromium driven by Playwright against a real server. Any
console error fails the test; each test leaves a screenshot in build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from app.settings import Settings
from tests.conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "static" / "dist" / ".vite" / "manifest.json"
SCREENSHOTS = ROOT / "build" / "screenshots"
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
# Chromium logs every non-2xx fetch to the console. A 422 (an invalid network, shown on
# its node) or a 409 (an action the run's status forbids, shown in the dashboard) is an
# answer the UI presents; any other error, 404 and 5xx included, fails the test.
EXPECTED = ("responded with a status of 422 (Unprocessable Entity)",
            "responded with a status of 409 (Conflict)")
# A loaded 2-core machine (training shares it) can take seconds to answer an edit.
expect.set_options(timeout=15_000)
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server for the browser tests; mnist-10k reads the shared real digits
    (its workers are spawned with this environment)."""
    with pytest.MonkeyPatch.context() as patch:
        if SHARED_MNIST.exists():
            patch.setenv("LAYERLAB_MNIST_DIR", str(SHARED_MNIST))
        with serving(Settings(home=tmp_path_factory.mktemp("ui-home"))) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Playwright's sync API keeps an event loop running while it lives: it ends with
    the browser tests, so tests after them can run their own loops."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it")
    if not BUILT.exists():
        pytest.fail("the browser UI is not built: `make ui` builds it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()



@pytest.fixture
def page(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=live_server)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.endswith(EXPECTED):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png")
    context.close()
    assert not errors, f"the browser console reported errors: {errors}"
