"""Small but real run and sweep records for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.spec import parse_network
from app.spec.sweep import SweepSpec
from app.spec.training import DatasetSpec, OptimizerSpec, TrainingSpec
from app.store.base import RunRecord, SweepRecord, Trial

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_run(run_id: str = "r1", minutes: int = 0, status: str = "queued") -> RunRecord:
    spec = parse_network({
        "name": "Two dense layers",
        "input": {"shape": [2]},
        "layers": [
            {"id": "hidden", "type": "dense", "units": 8, "activation": "relu"},
            {"id": "out", "type": "dense", "units": 2},
        ],
    })
    training = TrainingSpec(
        dataset=DatasetSpec(name="moons", options={"noise": 0.1, "n": 200}),
        optimizer=OptimizerSpec(name="sgd", lr=0.05, momentum=0.9, nesterov=True),
        epochs=3,
        seed=7,
    )
    return RunRecord.model_validate({
        "id": run_id, "name": f"run {run_id}", "status": status, "spec": spec,
        "training": training, "created_at": T0 + timedelta(minutes=minutes),
    })


def make_sweep(sweep_id: str = "s1", minutes: int = 0,
               run_ids: tuple[str, ...] = ("r1", "r2")) -> SweepRecord:
    run = make_run()
    return SweepRecord(
        id=sweep_id, name=f"sweep {sweep_id}", created_at=T0 + timedelta(minutes=minutes),
        spec=run.spec, training=run.training,
        sweep=SweepSpec.model_validate({"parameters": {
            "optimizer.lr": [0.1, 0.01][:len(run_ids)], "layers.hidden.units": [8]}}),
        trials=[Trial(run_id=run_id, params={"optimizer.lr": lr, "layers.hidden.units": 8})
                for run_id, lr in zip(run_ids, [0.1, 0.01], strict=False)])
