"""How quickly does the browser UI answer? Two interactions timed inside a real headless
chromium (Debian's, driven by Playwright) against a real server, each next to the same
request made from Python, so the gap is what the browser and the UI add.

Targets (CPU):
  - train: click Train -> first point on the loss chart, `toy-mlp` on `xor` (5 epochs):
    < 1 s. Timed in the page: a capture-phase click listener on the Train button, and a
    MutationObserver noting when the chart's `data-points` first turns non-zero.
    Each run starts with the server idle and its spare worker warm (imports done), as
    in normal use: the script waits for the spare before every click. Baseline: the
    same request body POSTed to /api/v1/runs, then the run's websocket read until the
    first metrics (a `metrics` message, or a snapshot that already holds some).
  - validate: the UI's own fetch round trip of /api/v1/specs/validate after an edit
    (its "checked in N ms", JSON parse included): < 150 ms. Also shown, without a
    target: Enter in `#field-units` of `hidden1` -> the status bar settled
    (`data-pending` false) with the new total, which includes the UI's 150 ms debounce.
    Baseline of both: httpx2 POSTing the same body. The server's shape cache is cleared
    before every validation, browser and baseline alike, so each times a first check of
    the edited spec.

One warm-up round of each, then REPEATS rounds; median and p90 (the verdict is on the
median); browser and baseline alternate, one of each per round. Below the table, the
medians of the steps in between show where the time goes.

    cd benchmarks && python ui_latency.py
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import torch
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright
from websockets.sync.client import connect

from app.nn.infer import clear_shape_cache

from common import server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUILT = Path(__file__).resolve().parent.parent / "static" / "dist" / ".vite" / "manifest.json"
REPEATS = 10
PRESET, LAYER, DATASET, EPOCHS = "toy-mlp", "hidden1", "xor", 5
FIRST_UNITS = 9  # the preset has 8; every round sets a value not used before
DEBOUNCE_MS = 150  # the UI's wait after an edit before it validates (useValidation.ts)
TARGETS_MS = {"train": 1000.0, "validate": 150.0}
POLL_MS = 50  # how often Playwright looks for the page's marks (the marks are exact)

# Runs in every page before the app: notes when the run's websocket opens and when its
# first metrics arrive (with the worker's report time, in page time).
PROBE = """
window.__ui = {};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.__ui.wsCreated ??= performance.now();
    this.addEventListener("open", () => { window.__ui.wsOpen ??= performance.now(); });
    this.addEventListener("message", (event) => {
      const marks = window.__ui;
      if (marks.firstMetrics !== undefined) return;
      const message = JSON.parse(event.data);
      const held = message.kind === "snapshot"
        && (message.metrics.train_loss ?? []).some((v) => v !== null);
      if (message.kind === "metrics" || held) {
        marks.firstMetrics = performance.now();
        if (message.kind === "metrics") marks.reported = message.at * 1000 - performance.timeOrigin;
      }
    });
  }
};
"""
ARM_TRAIN = """() => {
  const marks = window.__ui = {};
  performance.clearResourceTimings();
  document.querySelector(".train-button").addEventListener(
    "click", () => { marks.click ??= performance.now(); }, { capture: true, once: true });
  const observer = new MutationObserver(() => {
    const chart = document.querySelector("[data-testid=loss-chart]");
    if (marks.click !== undefined && chart && Number(chart.dataset.points) > 0) {
      marks.firstPoint = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true,
                                    attributeFilter: ["data-points"] });
}"""
ARM_EDIT = """() => {
  const marks = window.__ui = {};
  performance.clearResourceTimings();
  const field = document.querySelector("#field-units");
  window.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target === field) marks.edit ??= performance.now();
  }, { capture: true, once: true });
  const bar = document.querySelector("[data-testid=status-bar]");
  const observer = new MutationObserver(() => {
    if (marks.edit === undefined) return;
    if (bar.dataset.pending === "true") marks.pending = true;
    else if (marks.pending) {
      marks.settled = performance.now();
      marks.text = bar.textContent;
      marks.checked = bar.querySelector("[data-testid=validate-ms]")?.textContent;
      observer.disconnect();
    }
  });
  observer.observe(bar, { subtree: true, childList: true, attributes: true,
                          characterData: true });
}"""
COLLECT = """(path) => {
  const entry = performance.getEntriesByType("resource").find((e) => e.name.endsWith(path));
  return { ...window.__ui, fetchStart: entry?.startTime, fetchEnd: entry?.responseEnd };
}"""


def wait_until_idle(app: Any) -> None:
    """No run active and the spare worker's imports done: a warm worker will take the
    next run, as it does for someone who clicks Train on an idle server."""
    executor = app.state.runs.executor
    while executor.active():
        time.sleep(0.05)
    assert executor.wait_until_warm(), "the spare worker did not warm up"


def open_preset(page: Page) -> None:
    page.goto("/")
    page.get_by_test_id("preset-picker").select_option(PRESET)
    expect(page.locator(f".react-flow__node[data-id='{LAYER}']")).to_be_visible()
    settled(page)


def settled(page: Page) -> None:
    expect(page.get_by_test_id("status-bar")).to_have_attribute("data-pending", "false")


def browser_train(browser: Browser, url: str, app: Any,
                  bodies: list[str]) -> dict[str, float]:
    """One click on Train in a fresh page; the page's marks in ms after the click."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=f"http://{url}")
    try:
        watch(page)
        page.on("request", lambda r: keep_body(r, "/api/v1/runs", bodies))
        page.add_init_script(PROBE)
        open_preset(page)
        page.locator("#dataset").select_option(DATASET)
        page.locator("#field-epochs").fill(str(EPOCHS))
        page.locator("#field-epochs").press("Enter")
        expect(page.locator("#field-epochs")).to_have_value(str(EPOCHS))
        wait_until_idle(app)
        page.evaluate(ARM_TRAIN)
        page.get_by_role("button", name="Train").click()
        page.wait_for_function("() => window.__ui.firstPoint !== undefined", polling=POLL_MS,
                               timeout=60_000)
        marks: dict[str, float] = page.evaluate(COLLECT, "/api/v1/runs")
        expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    finally:
        page.close()
    click = marks["click"]
    return {"first point": marks["firstPoint"] - click,
            "POST sent": marks["fetchStart"] - click,
            "POST answered": marks["fetchEnd"] - click,
            "websocket created": marks["wsCreated"] - click,
            "websocket open": marks["wsOpen"] - click,
            "worker reported": marks.get("reported", float("nan")) - click,
            "metrics received": marks["firstMetrics"] - click}


def rest_train(http: httpx2.Client, url: str, app: Any, body: str) -> dict[str, float]:
    """The baseline: the browser's request body POSTed, then the stream read."""
    wait_until_idle(app)
    start, wall = time.perf_counter(), time.time()
    run = http.post("/api/v1/runs", content=body, headers={"content-type": "application/json"})
    run.raise_for_status()
    marks = {"POST sent": 0.0, "POST answered": time.perf_counter() - start}
    marks["websocket created"] = time.perf_counter() - start
    with connect(f"ws://{url}/api/v1/runs/{run.json()['id']}/stream") as ws:
        marks["websocket open"] = time.perf_counter() - start
        for text in ws:
            message = json.loads(text)
            held = message["kind"] == "snapshot" and any(
                v is not None for v in message["metrics"].get("train_loss", []))
            if message["kind"] == "metrics" or held:
                marks["metrics received"] = time.perf_counter() - start
                marks["worker reported"] = (message["at"] - wall if message["kind"] == "metrics"
                                            else float("nan"))
                break
        for text in ws:  # the run ends before the next one starts
            if json.loads(text)["kind"] == "finished":
                break
    return {name: seconds * 1000 for name, seconds in marks.items()}


def browser_edit(page: Page, units: int, bodies: list[str]) -> dict[str, Any]:
    """Set `units` of the selected dense layer and press Enter; marks in ms after it."""
    field = page.locator("#field-units")
    field.fill(str(units))
    page.evaluate(ARM_EDIT)
    clear_shape_cache()
    field.press("Enter")
    page.wait_for_function("() => window.__ui.settled !== undefined", polling=POLL_MS)
    marks: dict[str, Any] = page.evaluate(COLLECT, "/api/v1/specs/validate")
    assert json.loads(bodies[-1])["layers"][0]["units"] == units, "the edit was not sent"
    checked = marks["checked"]  # "checked in N ms"
    assert checked and checked.startswith("checked in "), marks
    edit = marks["edit"]
    return {"settled": marks["settled"] - edit, "fetch": float(checked.split()[2]),
            "fetch sent": marks["fetchStart"] - edit, "fetch answered": marks["fetchEnd"] - edit,
            "text": marks["text"]}


def rest_validate(http: httpx2.Client, body: str) -> tuple[float, int]:
    """The baseline: the browser's last validate body POSTed; (ms, total params)."""
    clear_shape_cache()
    start = time.perf_counter()
    answer = http.post("/api/v1/specs/validate", content=body,
                       headers={"content-type": "application/json"})
    answer.raise_for_status()
    total = int(answer.json()["total_params"])
    return (time.perf_counter() - start) * 1000, total


def keep_body(request: Request, path: str, bodies: list[str]) -> None:
    if request.method == "POST" and request.url.endswith(path) and request.post_data:
        bodies.append(request.post_data)


def watch(page: Page) -> None:
    """Fail on any console error (as the browser tests do)."""
    def fail(text: str) -> None:
        raise RuntimeError(f"the browser console reported: {text}")
    page.on("console", lambda m: fail(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: fail(str(error)))


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10, method="inclusive")[-1]


def medians(rounds: list[dict[str, Any]]) -> dict[str, float]:
    """Each step's median over the rounds that have it (NaN: the snapshot held the first
    metrics, so the worker's report time is unknown)."""
    steps = [name for name in rounds[0] if name != "text"]
    known = {name: [r[name] for r in rounds if not math.isnan(r[name])] for name in steps}
    return {name: statistics.median(values) if values else math.nan
            for name, values in known.items()}


def main() -> None:
    assert BUILT.exists(), "the browser UI is not built: `make ui` builds it"
    with tempfile.TemporaryDirectory() as home, server(Path(home)) as (url, app), \
            httpx2.Client(base_url=f"http://{url}", timeout=60) as http, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        version = browser.version

        # 1. click Train -> first chart point, a fresh page per round
        runs: list[str] = []
        trains, rests = [], []
        for repeat in range(REPEATS + 1):
            shown = browser_train(browser, url, app, runs)
            baseline = rest_train(http, url, app, runs[-1])
            if repeat:  # the first round warms up
                trains.append(shown)
                rests.append(baseline)

        # 2. an edit -> validation, in one page with the dense layer selected
        page = browser.new_page(viewport={"width": 1400, "height": 900},
                                base_url=f"http://{url}")
        watch(page)
        validations: list[str] = []
        page.on("request", lambda r: keep_body(r, "/api/v1/specs/validate", validations))
        open_preset(page)
        page.locator(f".react-flow__node[data-id='{LAYER}']").click()
        expect(page.locator("#field-units")).to_be_visible()
        edits, checks = [], []
        for repeat in range(REPEATS + 1):
            edit = browser_edit(page, FIRST_UNITS + repeat, validations)
            check_ms, total = rest_validate(http, validations[-1])
            assert f"{total} params" in edit["text"], (total, edit["text"])
            if repeat:
                edits.append(edit)
                checks.append(check_ms)
        browser.close()

    rows = [  # (what, browser samples, baseline samples, target)
        ("train: click Train -> first loss point", [t["first point"] for t in trains],
         [r["metrics received"] for r in rests], TARGETS_MS["train"]),
        ("validate: fetch round trip (the UI's)", [e["fetch"] for e in edits], checks,
         TARGETS_MS["validate"]),
        (f"validate: Enter -> status bar (+{DEBOUNCE_MS} ms debounce)",
         [e["settled"] for e in edits], checks, None),
    ]
    load = os.getloadavg()[0]
    print(f"UI latency in headless chromium {version} against a real server on CPU, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores "
          f"(load {load:.1f}); median and p90 of {REPEATS} rounds after a warm-up")
    print(f"{'measure':<48} {'median':>9} {'p90':>9} {'baseline':>9} {'base p90':>9} "
          f"{'target':>9} {'verdict':>7}")
    for what, ours, base, target in rows:
        mid = statistics.median(ours)
        limit, verdict = ("-", "-") if target is None else (
            f"< {target:.0f} ms", "ok" if mid < target else "MISS")
        print(f"{what:<48} {mid:6.0f} ms {p90(ours):6.0f} ms {statistics.median(base):6.0f} ms "
              f"{p90(base):6.0f} ms {limit:>9} {verdict:>7}")
    print("baseline: the same request body from Python (httpx2 POST; for training, then its\n"
          "  websocket until the first metrics), after the same wait for a warm worker")

    ours, base = medians(trains), medians(rests)
    print("\nwhere the time goes (medians, ms after the click in the browser, after the start of\n"
          "the POST in Python; the worker's report time is its own clock, the same machine's):")
    print(f"  {'':<34} {'browser':>8} {'Python':>8}")
    for step in ("POST sent", "POST answered", "websocket created", "websocket open",
                 "worker reported", "metrics received", "first point"):
        label = {"worker reported": "worker reported the first metrics",
                 "first point": "first point on the loss chart"}.get(step, step)
        theirs = f"{base[step]:8.0f}" if step in base else f"{'-':>8}"
        print(f"  {label:<34} {ours[step]:8.0f} {theirs}")
    edit = medians(edits)
    print(f"  after Enter: validate fetch sent {edit['fetch sent']:.0f} (the debounce), answered "
          f"{edit['fetch answered']:.0f}, status bar settled {edit['settled']:.0f}")

if __name__ == "__main__":
    main()
