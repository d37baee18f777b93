"""What live streaming costs training: the MLP of train_throughput.py (mnist-10k, CPU)
trained through a real server with 0, 1 and 20 websocket subscribers.

Targets: slowdown <= 3% with one subscriber, <= 10% with 20; p95 latency from the
worker's report to a subscriber < 100 ms. Training time is the sum of the run's epoch
times as the worker measured them; latency uses each metrics block's report time.

    python benchmarks/stream_overhead.py
"""

from __future__ import annotations

import json
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from websockets.sync.client import connect

from common import use_local_mnist

EPOCHS = 3
SUBSCRIBERS = (0, 1, 20)
REPEATS = 3  # each count runs this often, interleaved; the median time counts
MODEL = {"name": "MLP", "input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "flat", "type": "flatten"},
    {"id": "fc1", "type": "dense", "units": 256, "activation": "relu"},
    {"id": "drop", "type": "dropout", "rate": 0.2},
    {"id": "out", "type": "dense", "units": 10}]}
TRAINING = {"dataset": {"name": "mnist-10k"}, "epochs": EPOCHS, "batch_size": 64,
            "optimizer": {"name": "adam", "lr": 1e-3}, "validation_split": 0.0,
            "device": "cpu"}


def start_server(home: Path) -> tuple[str, uvicorn.Server, threading.Thread, Any]:
    from app.api import create_app
    from app.settings import Settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(home=home, max_concurrent_runs=1)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"127.0.0.1:{port}", server, thread, app


def subscribe(address: str, run_id: str, latencies: list[float], ready: threading.Barrier
              ) -> None:
    with connect(f"ws://{address}/api/v1/runs/{run_id}/stream", open_timeout=60) as ws:
        ready.wait()
        for text in ws:
            message: dict[str, Any] = json.loads(text)
            if message["kind"] == "metrics" and message["at"]:
                latencies.append(time.time() - message["at"])
            if message["kind"] == "finished":
                return


def one_run(http: httpx2.Client, address: str, subscribers: int,
            app: Any) -> tuple[float, list[float]]:
    # Start each run with a warm spare worker whose imports are done, so that no
    # interpreter start-up competes with training for the two cores.
    app.state.runs.executor.wait_until_warm()
    run_id = http.post("/api/v1/runs", json={"model": MODEL, "training": TRAINING}).json()["id"]
    latencies: list[float] = []
    ready = threading.Barrier(subscribers + 1)
    threads = [threading.Thread(target=subscribe, args=(address, run_id, latencies, ready))
               for _ in range(subscribers)]
    for thread in threads:
        thread.start()
    ready.wait()
    while http.get(f"/api/v1/runs/{run_id}").json()["status"] in ("queued", "running"):
        time.sleep(0.2)
    for thread in threads:
        thread.join(60)
    seconds = http.get(f"/api/v1/runs/{run_id}/metrics?names=epoch_seconds").json()
    return sum(v for v in seconds["epoch_seconds"] if v is not None), latencies


def main() -> None:
    use_local_mnist()
    with tempfile.TemporaryDirectory() as home:
        address, server, thread, app = start_server(Path(home))
        try:
            with httpx2.Client(base_url=f"http://{address}", timeout=60) as http:
                one_run(http, address, 0, app)  # warm the data cache
                runs: dict[int, list[tuple[float, list[float]]]] = {n: [] for n in SUBSCRIBERS}
                for _ in range(REPEATS):
                    for n in SUBSCRIBERS:
                        runs[n].append(one_run(http, address, n, app))
                results = {n: (statistics.median(t for t, _ in r),
                               [lat for _, lats in r for lat in lats])
                           for n, r in runs.items()}
        finally:
            server.should_exit = True
            thread.join(30)
    base = results[0][0]
    print(f"MLP 784-256-10 on mnist-10k, {EPOCHS} epochs, CPU, through a real server; "
          f"median of {REPEATS} runs per subscriber count")
    print(f"{'subscribers':>11} {'train s':>8} {'slowdown':>9} {'target':>7} "
          f"{'p95 latency':>12} {'messages':>9}")
    for n, (train_s, latencies) in results.items():
        slowdown = 100 * (train_s / base - 1)
        target = {1: 3.0, 20: 10.0}.get(n)
        verdict = ""
        if target is not None:
            verdict = f"<={target:.0f}% {'ok' if slowdown <= target else 'MISS'}"
        p95 = (statistics.quantiles(latencies, n=20)[-1] * 1000
               if len(latencies) > 1 else float("nan"))
        print(f"{n:>11} {train_s:8.2f} {slowdown:8.1f}% {verdict:>9} {p95:10.1f}ms "
              f"{len(latencies):>9}")
    print("p95 latency target: < 100 ms")


if __name__ == "__main__":
    main()
