"""How quickly does the browser UI answer a newcomer? Timed inside a real headless
chromium (Debian's, driven by Playwright) at 1280x800 against a real server, each next to
the same requests made from Python, so the gap is what the browser and the UI add.

Targets (CPU):
  - load: open `/` in a fresh browser context (nothing cached) -> interactive: the
    starting network's nodes drawn on the canvas and Train enabled: < 1.5 s. Timed in
    the page from the start of the navigation. Baseline: every request the page made
    until then (the shell, its scripts and styles, the API calls), sent one after the
    other from Python.
  - preset: pick `lenet5` in the presets menu -> validated: its layers show their output
    shapes and the status bar is settled: < 300 ms. Timed in the page from the menu's
    change event. Baseline: the preset fetched and the browser's validate body POSTed.
  - train: click Train on the starting network as it opens -> first point on the loss
    chart: < 1 s. Timed in the page: a capture-phase click listener on the Train button,
    and a MutationObserver noting when the chart's `data-points` first turns non-zero
    (the run, 30 epochs of the circle, trains to its end). Each run starts with the
    server idle and its spare worker warm (imports done), as in normal use: the script
    waits for the spare before every click. Baseline: the same request body POSTed to
    /api/v1/runs, then the run's websocket read until the first metrics (a `metrics`
    message, or a snapshot that already holds some).
  - validate: the UI's own fetch round trip of /api/v1/specs/validate after an edit
    (its "checked in N ms", JSON parse included): < 150 ms. Also shown, without a
    target: Enter in `#field-units` of `hidden1` -> the status bar settled
    (`data-pending` false) with the new total, which includes the UI's 150 ms debounce.
    Baseline of both: httpx2 POSTing the same body.
The server's shape cache is cleared before every preset and edit validation, browser and
baseline alike, so each times a first check of that spec.

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
from ui_marks import ARM_EDIT, ARM_PRESET, ARM_TRAIN, COLLECT, PROBE

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREEN = {"width": 1280, "height": 800}
BUILT = Path(__file__).resolve().parent.parent / "static" / "dist" / ".vite" / "manifest.json"
REPEATS = 7
START, LAYER = "toy-mlp", "hidden1"  # the starting network, and the layer edited
PRESET, PRESET_LAYER = "lenet5", "conv1"  # the preset picked, and a layer of it
FIRST_UNITS = 9  # the preset has 8; every round sets a value not used before
DEBOUNCE_MS = 150  # the UI's wait after an edit before it validates (useValidation.ts)
TARGETS_MS = {"load": 1500.0, "preset": 300.0, "train": 1000.0, "validate": 150.0}
POLL_MS = 50  # how often Playwright looks for the page's marks (the marks are exact)
JSON_BODY = {"content-type": "application/json"}


def wait_until_idle(app: Any) -> None:
    """No run active and the spare worker's imports done: a warm worker will take the
    next run, as it does for someone who clicks Train on an idle server."""
    executor = app.state.runs.executor
    while executor.active():
        time.sleep(0.05)
    assert executor.wait_until_warm(), "the spare worker did not warm up"


def settled(page: Page) -> None:
    expect(page.get_by_test_id("status-bar")).to_have_attribute("data-pending", "false")


def new_page(browser: Browser, url: str) -> Page:
    """A page in a fresh context (nothing cached, no first visit remembered)."""
    page = browser.new_page(viewport=SCREEN, base_url=f"http://{url}")
    watch(page)
    page.add_init_script(PROBE % {"layer": LAYER})
    return page


def browser_load(page: Page) -> tuple[float, list[tuple[str, str, str | None]]]:
    """Open `/`; (ms from the navigation to interactive, the requests made until then)."""
    sent: list[tuple[str, str, str | None]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data)))
    page.goto("/")
    page.wait_for_function("() => window.__load.interactive !== undefined", polling=POLL_MS,
                           timeout=60_000)
    interactive: float = page.evaluate("window.__load.interactive")
    made = [r for r in sent if "/stream" not in r[1]]
    expect(page.locator(".react-flow__node").first).to_be_visible()
    settled(page)
    return interactive, made


def rest_load(http: httpx2.Client, made: list[tuple[str, str, str | None]]) -> float:
    """The baseline: the same requests, one after the other; ms."""
    start = time.perf_counter()
    for method, url, body in made:
        http.request(method, url, content=body,
                     headers=JSON_BODY if body else None).raise_for_status()
    return (time.perf_counter() - start) * 1000


def browser_train(page: Page, app: Any, bodies: list[str]) -> dict[str, float]:
    """One click on Train, the starting network as it opens; the page's marks in ms after
    the click (the run then trains to its end)."""
    page.on("request", lambda r: keep_body(r, "/api/v1/runs", bodies))
    wait_until_idle(app)
    page.evaluate(ARM_TRAIN)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => window.__ui.firstPoint !== undefined", polling=POLL_MS,
                           timeout=60_000)
    marks: dict[str, float] = page.evaluate(COLLECT, "/api/v1/runs")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    click = marks["click"]
    return {"first point": marks["firstPoint"] - click,
            "POST sent": marks["fetchStart"] - click,
            "POST answered": marks["fetchEnd"] - click,
            "websocket created": marks["wsCreated"] - click,
            "websocket open": marks["wsOpen"] - click,
            "worker reported": marks.get("reported", float("nan")) - click,
            "metrics received": marks.get("firstMetrics", float("nan")) - click}


def rest_train(http: httpx2.Client, url: str, app: Any, body: str) -> dict[str, float]:
    """The baseline: the browser's request body POSTed, then the stream read."""
    wait_until_idle(app)
    start, wall = time.perf_counter(), time.time()
    run = http.post("/api/v1/runs", content=body, headers=JSON_BODY)
    run.raise_for_status()
    run_id = run.json()["id"]
    marks = {"POST sent": 0.0, "POST answered": time.perf_counter() - start}
    marks["websocket created"] = time.perf_counter() - start
    with connect(f"ws://{url}/api/v1/runs/{run_id}/stream") as ws:
        marks["websocket open"] = time.perf_counter() - start
        for text in ws:
            message = json.loads(text)
            losses = (message["metrics"]["steps"]["values"].get("train_loss", [])
                      if message["kind"] == "snapshot" else [])
            held = any(v is not None for v in losses)
            if message["kind"] == "metrics" or held:
                marks["metrics received"] = time.perf_counter() - start
                marks["worker reported"] = (message["at"] - wall if message["kind"] == "metrics"
                                            else float("nan"))
                break
        for text in ws:  # the run ends before the next one starts
            if json.loads(text)["kind"] == "finished":
                break
    return {name: seconds * 1000 for name, seconds in marks.items()}


def browser_preset(page: Page, app: Any, bodies: list[str]) -> dict[str, float]:
    """Pick PRESET in the presets menu; the page's marks in ms after the pick."""
    page.on("request", lambda r: keep_body(r, "/api/v1/specs/validate", bodies))
    wait_until_idle(app)
    page.evaluate(ARM_PRESET, PRESET_LAYER)
    clear_shape_cache()
    page.get_by_test_id("preset-picker").select_option(PRESET)
    page.wait_for_function("() => window.__ui.shown !== undefined", polling=POLL_MS,
                           timeout=60_000)
    marks: dict[str, float] = page.evaluate(COLLECT, "/api/v1/specs/validate")
    fetched: dict[str, float] = page.evaluate(COLLECT, f"/api/v1/presets/{PRESET}")
    assert json.loads(bodies[-1])["layers"][0]["id"] == PRESET_LAYER, "not the preset checked"
    pick = marks["pick"]
    return {"shown": marks["shown"] - pick, "preset answered": fetched["fetchEnd"] - pick,
            "validate sent": marks["fetchStart"] - pick,
            "validate answered": marks["fetchEnd"] - pick}


def rest_preset(http: httpx2.Client, body: str) -> float:
    """The baseline: the preset fetched, the browser's validate body POSTed; ms."""
    clear_shape_cache()
    start = time.perf_counter()
    http.get(f"/api/v1/presets/{PRESET}").raise_for_status()
    http.post("/api/v1/specs/validate", content=body, headers=JSON_BODY).raise_for_status()
    return (time.perf_counter() - start) * 1000


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


def newcomer_rounds(browser: Browser, http: httpx2.Client, url: str, app: Any
                    ) -> dict[str, tuple[list[dict[str, float]], list[float]]]:
    """Each round in a fresh page: open it, train the starting network, pick a preset;
    each beside its baseline. By measure: (the browser's rounds, the baseline's)."""
    found: dict[str, tuple[list[dict[str, float]], list[float]]] = {
        "load": ([], []), "train": ([], []), "preset": ([], [])}
    runs: list[str] = []
    validations: list[str] = []
    for repeat in range(REPEATS + 1):
        page = new_page(browser, url)
        try:
            interactive, made = browser_load(page)
            measured = {"load": ({"interactive": interactive}, rest_load(http, made))}
            shown = browser_train(page, app, runs)
            measured["train"] = (shown, rest_train(http, url, app, runs[-1])["metrics received"])
            picked = browser_preset(page, app, validations)
            measured["preset"] = (picked, rest_preset(http, validations[-1]))
        finally:
            page.close()
        if repeat:  # the first round warms up
            for name, (ours, base) in measured.items():
                found[name][0].append(ours)
                found[name][1].append(base)
    return found


def edit_rounds(browser: Browser, http: httpx2.Client, url: str
                ) -> tuple[list[dict[str, Any]], list[float]]:
    """An edit -> validation, in one page with the starting network's dense layer
    selected."""
    page = new_page(browser, url)
    validations: list[str] = []
    page.on("request", lambda r: keep_body(r, "/api/v1/specs/validate", validations))
    browser_load(page)
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
    page.close()
    return edits, checks


def main() -> None:
    assert BUILT.exists(), "the browser UI is not built: `make ui` builds it"
    with tempfile.TemporaryDirectory() as home, server(Path(home)) as (url, app), \
            httpx2.Client(base_url=f"http://{url}", timeout=60) as http, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        version = browser.version
        newcomer = newcomer_rounds(browser, http, url, app)
        edits, checks = edit_rounds(browser, http, url)
        browser.close()
    report(version, newcomer, edits, checks)


def report(version: str, newcomer: dict[str, tuple[list[dict[str, float]], list[float]]],
           edits: list[dict[str, Any]], checks: list[float]) -> None:
    (loads, load_base), (trains, train_base), (presets, preset_base) = (
        newcomer["load"], newcomer["train"], newcomer["preset"])
    rows = [  # (what, browser samples, baseline samples, target)
        ("load: open / -> interactive", [r["interactive"] for r in loads], load_base,
         TARGETS_MS["load"]),
        (f"preset: pick {PRESET} -> validated", [r["shown"] for r in presets], preset_base,
         TARGETS_MS["preset"]),
        ("train: click Train -> first loss point", [r["first point"] for r in trains],
         train_base, TARGETS_MS["train"]),
        ("validate: fetch round trip (the UI's)", [e["fetch"] for e in edits], checks,
         TARGETS_MS["validate"]),
        (f"validate: Enter -> status bar (+{DEBOUNCE_MS} ms debounce)",
         [e["settled"] for e in edits], checks, None),
    ]
    load = os.getloadavg()[0]
    print(f"UI latency in headless chromium {version} at {SCREEN['width']}x{SCREEN['height']} "
          f"against a real server on CPU, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} cores (load {load:.1f}); "
          f"median and p90 of {REPEATS} rounds after a warm-up")
    print(f"{'measure':<48} {'median':>9} {'p90':>9} {'baseline':>9} {'base p90':>9} "
          f"{'target':>9} {'verdict':>7}")
    for what, ours, base, target in rows:
        mid = statistics.median(ours)
        limit, verdict = ("-", "-") if target is None else (
            f"< {target:.0f} ms", "ok" if mid < target else "MISS")
        print(f"{what:<48} {mid:6.0f} ms {p90(ours):6.0f} ms {statistics.median(base):6.0f} ms "
              f"{p90(base):6.0f} ms {limit:>9} {verdict:>7}")
    print("baseline: the same requests from Python (httpx2; for load, the page's requests one\n"
          "  after the other; for training, the POST then its websocket until the first\n"
          "  metrics, after the same wait for a warm worker)")
    where_the_time_goes(trains, train_base, presets, edits)


def where_the_time_goes(trains: list[dict[str, float]], train_base: list[float],
                        presets: list[dict[str, float]], edits: list[dict[str, Any]]) -> None:
    ours = medians(trains)
    print("\nwhere the time goes (medians, ms after the click in the browser):")
    for step in ("POST sent", "POST answered", "websocket created", "websocket open",
                 "worker reported", "metrics received", "first point"):
        label = {"worker reported": "worker reported the first metrics",
                 "first point": "first point on the loss chart"}.get(step, step)
        print(f"  {label:<34} {ours[step]:8.0f}")
    print(f"  {'(Python: metrics received)':<34} {statistics.median(train_base):8.0f}")
    picked = medians(presets)
    print(f"  after the pick: the preset fetched {picked['preset answered']:.0f}, "
          f"validate sent {picked['validate sent']:.0f}, answered "
          f"{picked['validate answered']:.0f}, shapes on the nodes {picked['shown']:.0f}")
    edit = medians(edits)
    print(f"  after Enter: validate fetch sent {edit['fetch sent']:.0f} (the debounce), answered "
          f"{edit['fetch answered']:.0f}, status bar settled {edit['settled']:.0f}")


if __name__ == "__main__":
    main()
