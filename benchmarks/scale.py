"""Many runs and one long run: 10,000 runs and a 1,000,000-step run written through the
store (SQLite), then a real server on them. Prints, beside the figures measured before
the store searched, sorted and thinned (BEFORE), and beside a full read of the long run
in this process:

- a page of the runs list, plain and with a sort, a search and filters (median ms);
- GET /metrics of the 1M-step run with no parameters, and its stream's snapshot: bytes
  and ms;
- /health's latency while ten viewers open that run's snapshot at once (p95 ms);
- the dashboard's time from Open to its charts drawn, in Chromium at 1280x800, and its
  frame rate while it follows a live run past 20,000 steps (the charts hold at most
  4,000 step rows however long the run: static/src/train/stream.ts);
- the database's and its WAL's size before and after deleting half the runs (through
  the API, each delete giving its space back).

    python benchmarks/scale.py [--runs 10000] [--steps 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from playwright.sync_api import sync_playwright

from app.settings import Settings
from app.spec import parse_network
from app.spec.training import TrainingSpec
from app.store.base import MetricRow, RunRecord
from app.store.sql import SqlRunStore

from common import server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu"]
DATASETS = ("circle", "moons", "xor", "mnist-10k", "spiral")
LONG = "a million steps"
BEFORE = {  # measured on this machine before this change (issue 28)
    "list page": "12-66 ms (limit=100, no total, no sort or search)",
    "metrics": "5.5-6.4 s, 79 MiB",
    "snapshot": "7-8 s, 79 MiB",
    "health": "2-3 s while one snapshot is built; 12 s stalls with three",
    "charts": "11 s",
    "fps": "below 30 fps near 100k steps, about 5 fps past 300k",
    "disk": "deleting gave nothing back (WAL 256 MiB, 411 MiB free in 673 MB)",
}
NETWORK = parse_network({"name": "Toy MLP", "input": {"shape": [2]}, "layers": [
    {"id": "hidden", "type": "dense", "units": 8, "activation": "relu"},
    {"id": "out", "type": "dense", "units": 2}]})


def record(i: int, run_id: str, name: str, **fields: Any) -> RunRecord:
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    training = TrainingSpec.model_validate({"dataset": {"name": DATASETS[i % 5]}})
    return RunRecord.model_validate({
        "id": run_id, "name": name, "spec": NETWORK, "training": training,
        "created_at": created, "started_at": created, "finished_at": created + timedelta(
            seconds=10 + i % 50), "status": "completed", "epoch": 3, "step": 300,
        "best_metrics": {"val_accuracy": 0.5 + (i * 7919 % 1000) / 2000},
        "best_epochs": {"val_accuracy": 3}, "tags": ["baseline"] if i % 10 == 0 else [],
        "task": "classification", **fields})


def build(store: SqlRunStore, runs: int, steps: int) -> tuple[list[str], str, float]:
    """`runs` small runs and one of `steps` steps (a loss and an accuracy per step, an
    epoch row every 1,000 steps); returns their ids and the seconds the long run took."""
    ids = [f"{i:08x}" + "0" * 24 for i in range(runs)]
    for i, run_id in enumerate(ids):
        store.create_run(record(i, run_id, f"Toy MLP #{i + 1}"))
    long_id = "f" * 32
    store.create_run(record(runs, long_id, LONG, step=steps, epoch=steps // 1000))
    start = time.perf_counter()
    for first in range(1, steps + 1, 1000):  # as the recorder writes a run's reports
        rows = [MetricRow(step=s, epoch=s // 1000, values={
            "train_loss": 1 / (1 + s / 1000) + (s % 7) / 100,
            "train_accuracy": 1 - 1 / (2 + s / 1000)}) for s in range(first, first + 1000)]
        rows[-1].values.update({"val_loss": 0.3, "val_accuracy": 0.9, "epoch_seconds": 1.0,
                                "lr": 0.001, "epoch_train_loss": 0.31})
        store.append_metrics(long_id, rows)
    return ids, long_id, time.perf_counter() - start


def timed(http: httpx2.Client, path: str, repeats: int = 1, **params: Any
          ) -> tuple[float, int]:
    """Median milliseconds of GET `path`, and its body's bytes."""
    times, size = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        response = http.get(path, params=params)
        times.append(1000 * (time.perf_counter() - start))
        response.raise_for_status()
        size = len(response.content)
    return statistics.median(times), size


def health_under_viewers(base: str, long_id: str, viewers: int = 10) -> tuple[float, float]:
    """/health's p95 and worst latency (ms) while `viewers` clients open the long run's
    snapshot at once, twice each."""
    done = threading.Event()

    def view() -> None:
        with httpx2.Client(base_url=base, timeout=120) as http:
            for _ in range(2):
                http.get(f"/api/v1/runs/{long_id}/stream").raise_for_status()

    threads = [threading.Thread(target=view) for _ in range(viewers)]
    latencies: list[float] = []
    with httpx2.Client(base_url=base, timeout=120) as http:
        for thread in threads:
            thread.start()
        watcher = threading.Thread(target=lambda: [t.join() for t in threads] and done.set())
        watcher.start()
        while not done.is_set() or len(latencies) < 20:
            start = time.perf_counter()
            http.get("/api/v1/health").raise_for_status()
            latencies.append(1000 * (time.perf_counter() - start))
            time.sleep(0.01)
            if all(not t.is_alive() for t in threads):
                done.set()
    latencies.sort()
    return latencies[int(0.95 * (len(latencies) - 1))], latencies[-1]


def time_to_charts(base: str) -> float:
    """Seconds from a click on Open (the long run, found by search) to its loss chart
    drawn with points, in Chromium at 1280x800."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base)
        page.get_by_role("tab", name="Runs").click()
        page.get_by_test_id("runs-search").fill(LONG)
        row = page.locator(".runs-table tr", has_text=LONG)
        row.get_by_role("button", name="Open").wait_for()
        start = time.perf_counter()
        row.get_by_role("button", name="Open").click()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=loss-chart]')"
            "?.dataset.points ?? 0) > 0", timeout=120_000)
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


FPS = """() => new Promise((done) => {
  let frames = 0; const start = performance.now();
  const tick = () => { frames += 1;
    if (performance.now() - start < 5000) requestAnimationFrame(tick);
    else done(frames / ((performance.now() - start) / 1000)); };
  requestAnimationFrame(tick);
})"""


def live_fps(base: str) -> tuple[float, int, str]:
    """Frames a second over 5 s while the dashboard follows a live run (a toy MLP, one
    sample a step) that has streamed over 20,000 steps, the loss chart's points then, and
    what the dashboard says it draws."""
    with httpx2.Client(base_url=base + "/api/v1", timeout=60) as http:
        run = http.post("/runs", json={"name": "followed live", "model": {"preset": "toy-mlp"},
                                       "training": {"dataset": {"name": "circle", "options": {
                                           "n_samples": 400}}, "epochs": 1000, "batch_size": 1,
                                           "validation_split": 0.0, "device": "cpu"}}).json()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base)
                page.get_by_role("tab", name="Runs").click()
                page.get_by_test_id("runs-search").fill("followed live")
                page.locator(".runs-table tr", has_text="followed live").get_by_role(
                    "button", name="Open").click()
                page.wait_for_function(
                    "() => Number((document.querySelector('[data-testid=thinned]')?.textContent"
                    " ?? '').match(/of (\\d+)/)?.[1] ?? 0) > 20000", timeout=300_000)
                fps = float(page.evaluate(FPS))
                points = int(page.get_by_test_id("loss-chart").get_attribute("data-points") or 0)
                note = page.get_by_test_id("thinned").inner_text()
                browser.close()
        finally:
            http.post(f"/runs/{run['id']}/stop")
    return fps, points, note


def sizes(home: Path) -> tuple[float, float]:
    """The database's and its WAL's size in MiB."""
    database, wal = home / "layerlab.db", home / "layerlab.db-wal"
    return (database.stat().st_size / 2**20,
            wal.stat().st_size / 2**20 if wal.exists() else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        store = SqlRunStore(Settings(home=home).store_url)
        start = time.perf_counter()
        ids, long_id, writing = build(store, args.runs, args.steps)
        built = time.perf_counter() - start
        start = time.perf_counter()
        every = store.get_metrics(long_id)  # the whole history, as it was read before
        full_read = time.perf_counter() - start
        full_rows = len(every["step"])
        del every
        store.close()
        print(f"{args.runs:,} runs and a {args.steps:,}-step run written through the store "
              f"in {built:.0f} s (the long run's metrics: {writing:.0f} s); SQLite, "
              f"{sizes(home)[0]:,.0f} MiB")
        with server(home) as (address, _):
            base = f"http://{address}"
            with httpx2.Client(base_url=base + "/api/v1", timeout=120) as http:
                print("runs list, one page of 50 (median of 20)   before: "
                      + BEFORE["list page"])
                for label, params in (
                        ("newest first", {}), ("sorted by score", {"sort": "score",
                                                                   "order": "desc"}),
                        ("search 'mlp #77'", {"q": "mlp #77"}),
                        ("dataset and status", {"dataset": "moons", "status": "completed"}),
                        ("tag, sorted by duration", {"q": "baseline", "sort": "duration"})):
                    ms, _ = timed(http, "/runs", 20, limit=50, **params)
                    total = http.get("/runs", params={"limit": 1, **params}).json()["total"]
                    print(f"  {label:<26} {ms:7.1f} ms   ({total:,} found)")
                ms, size = timed(http, f"/runs/{long_id}/metrics", 5)
                print(f"GET /metrics, no parameters: {ms:7.1f} ms, {size / 2**20:.2f} MiB "
                      f"(target < 200 ms)   before: {BEFORE['metrics']}; every row read "
                      f"here: {full_read:.1f} s for {full_rows:,} rows")
                ms, size = timed(http, f"/runs/{long_id}/stream", 5)
                print(f"stream snapshot: {ms:7.1f} ms, {size / 2**20:.3f} MiB "
                      f"(target < 1 MiB)   before: {BEFORE['snapshot']}")
                ms, size = timed(http, f"/runs/{long_id}/metrics", 5, points=0,
                                 since_step=500_000, until_step=510_000)
                print(f"a zoomed range, 10,000 steps at full resolution: {ms:7.1f} ms, "
                      f"{size / 2**20:.2f} MiB")
            p95, worst = health_under_viewers(base, long_id)
            print(f"/health while 10 viewers open the long run: p95 {p95:.1f} ms, worst "
                  f"{worst:.1f} ms (target < 50 ms)   before: {BEFORE['health']}")
            print(f"dashboard, Open to charts drawn: {time_to_charts(base):.2f} s "
                  f"(target < 1 s)   before: {BEFORE['charts']}")
            fps, points, note = live_fps(base)
            print(f"dashboard following a live run: {fps:.0f} fps (target >= 30), the loss "
                  f"chart at {points:,} points, {note}   before: {BEFORE['fps']}")
            database, wal = sizes(home)
            start = time.perf_counter()
            with httpx2.Client(base_url=base + "/api/v1", timeout=120) as http:
                for run_id in [*ids[: len(ids) // 2], long_id]:
                    http.delete(f"/runs/{run_id}").raise_for_status()
            deleting = time.perf_counter() - start
            after, wal_after = sizes(home)
            print(f"deleting half the runs and the long one ({deleting:.0f} s): database "
                  f"{database:,.1f} -> {after:,.1f} MiB, WAL {wal:,.1f} -> {wal_after:,.1f} "
                  f"MiB   before: {BEFORE['disk']}")


if __name__ == "__main__":
    main()
