"""How fast each sweep method finds a good learning rate: trials and wall time until a
trial reaches the target score, and the best score found, for grid, random and TPE
search, and TPE with early stopping (median), each through a real server (POST /sweeps;
trials are runs on the local executor, two at a time).

The job: the toy MLP (2-8-8-2, tanh) on the circle set (600 points), Adam, 10 epochs,
batch 32; the learning rate searched over [1e-5, 1] (log scale; the grid takes 16
log-spaced values in order), 16 configurations a sweep, ranked by val_loss; target:
val_loss <= 0.01, which only rates from about 0.04 to 0.15 reach in 10 epochs. Random and
TPE run with five seeds and the figures are their means. A trial counts when its run has
ended (completed, or stopped early); the time is from the POST to the end of the first
run that reaches the target, and the sweep's whole time is printed beside it.

    python benchmarks/sweep_efficiency.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2

from common import server

TARGET = 0.01
BUDGET = 16
LR = {"low": 1e-5, "high": 1.0, "log": True}
TRAINING = {"dataset": {"name": "circle", "options": {"n_samples": 600}}, "epochs": 10,
            "batch_size": 32, "device": "cpu", "optimizer": {"name": "adam", "lr": 0.01}}
GRID = [round(1e-5 * (1.0 / 1e-5) ** (i / (BUDGET - 1)), 8) for i in range(BUDGET)]


@dataclass
class Outcome:
    trials_to_target: int | None  # trials ended until the first that reached the target
    seconds_to_target: float | None
    seconds: float  # the whole sweep
    runs_stopped_early: int
    epochs_trained: int
    best: float  # the best val_loss the sweep found


def run_sweep(base: str, sweep: dict[str, Any]) -> Outcome:
    started = time.monotonic()
    created = httpx2.post(f"{base}/api/v1/sweeps", json={
        "model": {"preset": "toy-mlp"}, "training": TRAINING, "sweep": sweep}, timeout=60)
    created.raise_for_status()
    sweep_id, posted = created.json()["id"], datetime.fromisoformat(created.json()["created_at"])
    while True:
        info = httpx2.get(f"{base}/api/v1/sweeps/{sweep_id}", timeout=60).json()
        if info["status"] in ("finished", "stopped"):
            break
        time.sleep(0.2)
    seconds = time.monotonic() - started
    runs = [httpx2.get(f"{base}/api/v1/runs/{t['run_id']}", timeout=60).json()
            for t in info["trials"]]
    ended = sorted((r for r in runs if r["finished_at"]), key=lambda r: r["finished_at"])
    hit = next((i for i, r in enumerate(ended, start=1)
                if (r["best_metrics"].get("val_loss") or 1e9) <= TARGET), None)
    at = None
    if hit is not None:
        at = (datetime.fromisoformat(ended[hit - 1]["finished_at"]) - posted).total_seconds()
    best = min((r["best_metrics"].get("val_loss") or 1e9) for r in runs)
    return Outcome(hit, at, seconds, sum(1 for t in info["trials"] if t["pruned_at"]),
                   sum(r["epoch"] for r in runs), best)


def methods(seed: int) -> dict[str, dict[str, Any]]:
    search = {"trials": BUDGET, "seed": seed, "parameters": {"optimizer.lr": LR}}
    return {"grid": {"method": "grid", "parameters": {"optimizer.lr": GRID}},
            "random": {"method": "random", **search},
            "tpe": {"method": "tpe", **search},
            "tpe + median stopping": {"method": "tpe", "early_stopping": "median", **search}}


def mean(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    missed = len(values) - len(known)
    text = f"{statistics.mean(known):.1f}" if known else "-"
    return text + (f" ({missed} missed)" if missed else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory() as home, server(Path(home)) as (address, _):
        base = f"http://{address}"
        for seed in range(args.seeds):
            for name, sweep in methods(seed).items():
                if name == "grid" and seed:
                    continue  # a grid has no seed
                outcome = run_sweep(base, sweep)
                results.setdefault(name, []).append(outcome)
                print(f"  {name:<22} seed {seed}: {outcome}", flush=True)
    print(f"\ntrials and time to val_loss <= {TARGET} ({BUDGET} configurations a sweep; "
          f"means over {args.seeds} seeds for the searches)")
    print(f"{'method':<24}{'best val_loss':>14}{'trials to target':>18}{'s to target':>16}"
          f"{'sweep s':>9}{'epochs trained':>16}{'stopped early':>15}")
    for name, outcomes in results.items():
        print(f"{name:<24}{statistics.mean(o.best for o in outcomes):>14.4f}"
              f"{mean([o.trials_to_target for o in outcomes]):>18}"
              f"{mean([o.seconds_to_target for o in outcomes]):>16}"
              f"{statistics.mean(o.seconds for o in outcomes):>9.1f}"
              f"{statistics.mean(o.epochs_trained for o in outcomes):>16.0f}"
              f"{statistics.mean(o.runs_stopped_early for o in outcomes):>15.1f}")


if __name__ == "__main__":
    main()
