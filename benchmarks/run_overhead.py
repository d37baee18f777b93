"""What a real worker process costs: submit -> first metric event, and the whole run,
through the runs service (spawned worker, SQLite store) vs the in-process trainer
(run_local) on the same small run. "warm" submits once the executor's spare worker
has finished its imports (a server between runs); "cold" right after the previous
run, before the next spare is ready (back-to-back submissions).

    python benchmarks/run_overhead.py
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from app.runs import run_local
from app.runs.process_executor import ProcessExecutor
from app.runs.service import RunService
from app.spec import parse_network
from app.spec.events import MetricsEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.store import get_store

REPEATS = 3
SPEC = parse_network({"name": "toy MLP", "input": {"shape": [2]}, "layers": [
    {"id": "h", "type": "dense", "units": 16, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": 2},
]})
TRAINING = TrainingSpec.model_validate({
    "dataset": {"name": "circle", "options": {"n_samples": 2000}}, "epochs": 5,
    "batch_size": 32, "device": "cpu"})


def in_process() -> tuple[float, float]:
    start = time.perf_counter()
    first: list[float] = []

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, MetricsEvent) and not first:
            first.append(time.perf_counter() - start)

    run_local(SPEC, TRAINING, on_event)
    return first[0], time.perf_counter() - start


def through_worker(service: RunService, warm: bool) -> tuple[float, float]:
    if warm:
        assert isinstance(service.executor, ProcessExecutor)
        service.executor.wait_until_warm()
    first: list[float] = []
    done = threading.Event()
    start = time.perf_counter()
    run = service.create(SPEC, TRAINING)

    def on_event(_: str, event: TrainingEvent) -> None:
        if isinstance(event, MetricsEvent) and not first:
            first.append(time.perf_counter() - start)
        if event.kind == "finished":
            done.set()

    service.subscribe(run.id, on_event)
    if not done.wait(300):
        raise SystemExit("the worker run did not finish in 300 s")
    total = time.perf_counter() - start
    assert service.snapshot(run.id).run.status == "completed"  # every event stored
    return first[0], total


def main() -> None:
    in_process()  # warm this interpreter's imports, as a long-lived server would be
    local = [in_process() for _ in range(REPEATS)]
    with tempfile.TemporaryDirectory() as home:
        store = get_store(f"sqlite:///{Path(home) / 'bench.db'}")
        service = RunService(store, ProcessExecutor(max_concurrent=1), Path(home) / "runs")
        try:
            cold = [through_worker(service, warm=False) for _ in range(REPEATS)]
            warm = [through_worker(service, warm=True) for _ in range(REPEATS)]
        finally:
            service.close()
            store.close()
    print(f"toy MLP on circle (2,000 points), 5 epochs, CPU; median of {REPEATS} runs")
    print(f"{'':<28} {'first metric':>13} {'whole run':>10}")
    rows = (("in-process trainer", local), ("worker + store, warm", warm),
            ("worker + store, cold", cold))
    for label, runs in rows:
        first = statistics.median(r[0] for r in runs)
        total = statistics.median(r[1] for r in runs)
        print(f"{label:<28} {first:12.3f}s {total:9.3f}s")
    for label, runs in rows[1:]:
        extra = statistics.median(r[1] for r in runs) - statistics.median(r[1] for r in local)
        print(f"{label}: the worker adds {extra:.2f} s per run")


if __name__ == "__main__":
    main()
