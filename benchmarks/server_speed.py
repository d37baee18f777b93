"""What users feel: a run submitted to a real server (POST /runs) until it is completed,
next to a plain PyTorch loop of the same job at its best thread count.

The job: MLP 784-256-10 (ReLU, dropout 0.2), Adam 1e-3, batch 64, 5 epochs on
mnist-10k, CPU. The plain loop (benchmarks/common.py: a DataLoader, no evaluation)
trains in a fresh process once per thread count from 1 to the machine's cores; its
best median is the baseline. The server is started once on its defaults (SQLite, the
local executor) and each run is submitted when its spare worker is warm, as a server
between runs has one. Besides the whole time from the POST to `completed`, the run's
fixed costs are printed: created -> started (queue, worker, dataset, network) and last
epoch -> completed (test pass, final checkpoint, store).

Targets: submit-to-completed >= 0.9x the plain loop's speed; each fixed cost <= 0.15 s;
a lone run trains on every core (its `device` names the threads). Then two runs are
submitted together: the second starts on the cores the first leaves it, and the first
gives them up at its next report. The same again on the Ray executor (a local cluster
this script starts), whose actors share the cores the same way; `--no-ray` leaves it out,
as does an install without Ray.

    python benchmarks/server_speed.py [--no-ray]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import torch
from train_throughput import BATCH, EPOCHS, LR, mlp

from app.runs.core_share import usable_cores

from common import accuracy, loader, mnist10k, plain_epoch, run_isolated, server, use_local_mnist

REPEATS = 5
TARGET_SPEED, TARGET_FIXED = 0.9, 0.15
MODEL = {"name": "MLP", "input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "flat", "type": "flatten"},
    {"id": "fc1", "type": "dense", "units": 256, "activation": "relu"},
    {"id": "drop", "type": "dropout", "rate": 0.2},
    {"id": "out", "type": "dense", "units": 10}]}
TRAINING = {"dataset": {"name": "mnist-10k"}, "epochs": EPOCHS, "batch_size": BATCH,
            "optimizer": {"name": "adam", "lr": LR}, "validation_split": 0.0,
            "device": "cpu"}


def run_plain(threads: int, seed: int) -> dict[str, Any]:
    torch.set_num_threads(threads)
    x, y, x_test, y_test = mnist10k()
    torch.manual_seed(seed)
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    data = loader(x, y, BATCH, seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        plain_epoch(model, data, optimizer, torch.device("cpu"))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "test_accuracy": accuracy(model, x_test, y_test,
                                                          torch.device("cpu"))}


class Timeline:
    """When each event of one run reached the server (perf_counter seconds)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.done = threading.Event()

    def __call__(self, _: str, event: Any) -> None:
        now = time.perf_counter()
        self.times.setdefault(event.kind, now)
        if event.kind == "epoch":
            self.times["last_epoch"] = now
        if event.kind == "finished":
            self.done.set()


def through_server(address: str, app: Any, seed: int) -> dict[str, Any]:
    service = app.state.runs
    assert service.executor.wait_until_warm(), "no warm worker"
    timeline = Timeline()
    with httpx2.Client(base_url=f"http://{address}", timeout=60) as http:
        start = time.perf_counter()
        created = http.post("/api/v1/runs", json={"model": MODEL, "training": {
            **TRAINING, "seed": seed}})
        created.raise_for_status()
        run_id = created.json()["id"]
        service.subscribe(run_id, timeline)
        if not timeline.done.wait(600):
            raise SystemExit("the run did not finish in 600 s")
        run = http.get(f"/api/v1/runs/{run_id}").json()
        while run["status"] != "completed":  # the store has it a moment after the event
            time.sleep(0.01)
            run = http.get(f"/api/v1/runs/{run_id}").json()
    finished = timeline.times["finished"]
    return {"seconds": finished - start,
            "to_started": timeline.times["started"] - start,
            "to_completed": finished - timeline.times["last_epoch"],
            "device": run["device"], "test_accuracy": run["test_metrics"]["test_accuracy"]}


def side_by_side(address: str, app: Any) -> dict[str, Any]:
    """Two runs submitted together: the second starts on the cores the first leaves it,
    and the first gives them up at its next report (their devices name the threads each
    started with)."""
    service = app.state.runs
    assert service.executor.wait_until_warm(), "no warm worker"
    timelines = [Timeline(), Timeline()]
    with httpx2.Client(base_url=f"http://{address}", timeout=60) as http:
        start = time.perf_counter()
        ids = []
        for seed, timeline in enumerate(timelines):
            created = http.post("/api/v1/runs", json={"model": MODEL, "training": {
                **TRAINING, "seed": seed}})
            created.raise_for_status()
            ids.append(created.json()["id"])
            service.subscribe(ids[-1], timeline)
        for timeline in timelines:
            if not timeline.done.wait(600):
                raise SystemExit("the runs did not finish in 600 s")
        seconds = time.perf_counter() - start
        devices = [http.get(f"/api/v1/runs/{run_id}").json()["device"] for run_id in ids]
    return {"seconds": seconds, "devices": devices, "started": [
        f"{timeline.times['started'] - start:.2f} s" for timeline in timelines], "finished": [
        f"{timeline.times['finished'] - start:.2f} s" for timeline in timelines]}


def pair_line(pair: dict[str, Any]) -> str:
    """When each of two runs submitted together started and finished, and on what."""
    return (f"both completed in {pair['seconds']:.2f} s (started at "
            f"{' and '.join(pair['started'])} on {' and '.join(pair['devices'])}; the first "
            f"finished at {pair['finished'][0]})")


def ray_figures() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The lone runs and the pair through a server on the Ray executor (a local cluster,
    one CPU asked per run, so two actors run side by side on two cores)."""
    with tempfile.TemporaryDirectory() as home, server(Path(home), executor="ray") as (
            address, app):
        runs = [through_server(address, app, seed) for seed in range(REPEATS)]
        return runs, side_by_side(address, app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["plain"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ray", action="store_true", help="the local executor only")
    args = parser.parse_args()
    use_local_mnist()
    if args.only:
        print(json.dumps(run_plain(args.threads, args.seed)))
        return
    cores = usable_cores()
    plain = {n: [run_isolated(Path(__file__), "plain", "--threads", str(n), "--seed", str(s))
                 for s in range(REPEATS)] for n in range(1, cores + 1)}
    medians = {n: statistics.median(r["seconds"] for r in runs) for n, runs in plain.items()}
    best = min(medians, key=lambda n: medians[n])
    with tempfile.TemporaryDirectory() as home, server(Path(home)) as (address, app):
        runs = [through_server(address, app, seed) for seed in range(REPEATS)]
        pair = side_by_side(address, app)
    on_ray = None if args.no_ray or importlib.util.find_spec("ray") is None else ray_figures()
    total = statistics.median(r["seconds"] for r in runs)
    speed = medians[best] / total
    print(f"MLP 784-256-10 on mnist-10k, {EPOCHS} epochs, CPU, {cores} cores, torch "
          f"{torch.__version__}; medians of {REPEATS}")
    for n, seconds in medians.items():
        mean = statistics.fmean(r["test_accuracy"] for r in plain[n])
        print(f"  plain loop, {n} thread{'s' if n > 1 else ''}: {seconds:6.2f} s "
              f"(test accuracy {mean:.3f})")
    mean = statistics.fmean(r["test_accuracy"] for r in runs)
    print(f"  server, POST -> completed: {total:6.2f} s (test accuracy {mean:.3f}; "
          f"trained on {runs[0]['device']})")
    print(f"  two runs submitted together: {pair_line(pair)}")
    if on_ray is not None:
        ray_runs, ray_pair = on_ray
        print(f"  Ray executor, POST -> completed: "
              f"{statistics.median(r['seconds'] for r in ray_runs):6.2f} s (trained on "
              f"{ray_runs[0]['device']})")
        print(f"  Ray executor, two runs submitted together: {pair_line(ray_pair)}")
    started = statistics.median(r["to_started"] for r in runs)
    completed = statistics.median(r["to_completed"] for r in runs)
    print(f"speed vs the plain loop at {best} thread{'s' if best > 1 else ''}: {speed:.2f}x "
          f"(target >= {TARGET_SPEED}x: {'ok' if speed >= TARGET_SPEED else 'MISSED'})")
    for label, value in (("created -> started", started), ("last epoch -> completed",
                                                           completed)):
        verdict = "ok" if value <= TARGET_FIXED else "MISSED"
        print(f"fixed cost, {label}: {value:.3f} s (target <= {TARGET_FIXED} s: {verdict})")


if __name__ == "__main__":
    main()
