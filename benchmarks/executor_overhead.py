"""What placing runs costs: 8 small runs submitted at once through the local executor
(worker processes from a warm fork server) and through the Ray executor (an actor per
run at a time, on a local Ray started here with 8 logical CPUs so that all 8 fit at once, as the
local executor is allowed 8), on this machine. Each row: the wall time until all 8
finished, runs per second, and each run's start overhead (submit -> its StartedEvent)
as median and max; then one run at a time on an idle, warm executor (median of 3).

"ray, 1 spare" is the default: one warm actor; each run that finds none waits for the
first warm one, an actor freed by a run that ended (reused) or a fresh Ray worker
process started for it (its PyTorch imports take seconds), whichever is ready first.
"ray, 8 spares" keeps 8 warm actors ahead.

Ray gives each actor as many OpenMP threads as it has CPUs (1 here); a local worker
gets the cores shared out among the runs it may hold at once (at least one thread).
"local, a thread per core each" is the local executor as it was before that share:
PyTorch's default in every worker, which oversubscribes a small machine.

    python benchmarks/executor_overhead.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from app.runs.core_share import usable_cores
from app.runs.executor import Executor
from app.runs.process_executor import ProcessExecutor
from app.runs.worker import Job
from app.spec import parse_network
from app.spec.events import TrainingEvent
from app.spec.training import TrainingSpec

RUNS = 8
SINGLE = 3
SPEC = parse_network({"name": "toy MLP", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2},
]})
TRAINING = TrainingSpec.model_validate({
    "dataset": {"name": "circle", "options": {"n_samples": 1000}}, "epochs": 3,
    "batch_size": 32, "device": "cpu"})


class Timing:
    """Submit, start and finish times of each run, and a signal when all are done."""

    def __init__(self, expected: int) -> None:
        self.submitted: dict[str, float] = {}
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.expected = expected
        self.statuses: list[str] = []
        self.done = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, run_id: str, event: TrainingEvent) -> None:
        now = time.perf_counter()
        with self.lock:
            if event.kind == "started":
                self.started[run_id] = now
            elif event.kind == "finished":
                self.finished[run_id] = now
                self.statuses.append(event.status)  # type: ignore[union-attr]
                if len(self.finished) == self.expected:
                    self.done.set()

    def overheads(self) -> list[float]:
        return [self.started[r] - self.submitted[r] for r in self.started]


def submit_all(executor: Executor, home: Path, count: int) -> Timing:
    timing = Timing(count)
    jobs = [Job(uuid.uuid4().hex, SPEC, TRAINING, home / uuid.uuid4().hex)
            for _ in range(count)]
    for job in jobs:
        timing.submitted[job.run_id] = time.perf_counter()
        executor.submit(job, timing)
    if not timing.done.wait(600):
        raise SystemExit("the runs did not finish in 600 s")
    if set(timing.statuses) != {"completed"}:
        raise SystemExit(f"runs did not complete: {timing.statuses}")
    return timing


def measure(executor: Any, home: Path) -> dict[str, float]:
    """8 at once, then one at a time; the executor is warm before each submission."""
    executor.wait_until_warm(300)
    start = time.perf_counter()
    batch = submit_all(executor, home, RUNS)
    wall = max(batch.finished.values()) - start
    singles = []
    for _ in range(SINGLE):
        time.sleep(1.0)  # the finished runs' processes exit, spares are replaced
        executor.wait_until_warm(300)
        singles.extend(submit_all(executor, home, 1).overheads())
    executor.shutdown()
    starts = batch.overheads()
    return {"wall": wall, "rate": RUNS / wall, "median": statistics.median(starts),
            "max": max(starts), "single": statistics.median(singles)}


def main() -> None:
    from app.runs.ray_actor import start_ray
    from app.runs.ray_executor import RayExecutor

    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        rows["local (8 at once)"] = measure(ProcessExecutor(max_concurrent=RUNS), home)
        rows["local, a thread per core each"] = measure(
            ProcessExecutor(max_concurrent=RUNS, threads_per_run=usable_cores()), home)
        started = time.perf_counter()
        start_ray(num_cpus=RUNS)
        ray_start = time.perf_counter() - started
        rows["ray, 1 spare"] = measure(RayExecutor(cpus=1, spares=1), home)
        rows["ray, 8 spares"] = measure(RayExecutor(cpus=1, spares=RUNS), home)
        import ray

        ray.shutdown()
    print(f"{RUNS} toy MLP runs on circle (1,000 points, 3 epochs) submitted at once; CPU, "
          f"{os.cpu_count()} cores; local Ray started in {ray_start:.1f} s (once per server); "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(f"{'':<30} {'wall':>7} {'runs/s':>7} {'start median':>13} {'start max':>10} "
          f"{'one run start':>14}")
    for label, row in rows.items():
        print(f"{label:<30} {row['wall']:6.2f}s {row['rate']:7.2f} {row['median']:12.3f}s "
              f"{row['max']:9.3f}s {row['single']:13.3f}s")


if __name__ == "__main__":
    main()
